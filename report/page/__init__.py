"""The page: formatting, figures, tables, the quality box, the scorecard, environments, one section per
experiment (report/page/sections/), assembled into one self-contained HTML file."""
