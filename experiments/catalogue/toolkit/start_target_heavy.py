"""A process-start target whose module imports what a typical small service imports (standard library).

A child under ``spawn`` or ``forkserver`` that runs ``noop`` from here imports all of these first;
under ``fork`` it inherits them from the parent.  The set is what a command-line tool that reads
files and talks HTTP pulls in: argument parsing, logging, JSON and CSV, dates and decimals,
dataclasses and typing, paths and subprocesses, an HTTP client (with its e-mail header parser),
XML and zip files.  asyncio and urllib.request (ssl) are left out: they would double the import
time (about 70 and 55 ms each on the 2-core VM) and so the cost of every round.
"""

import argparse  # noqa: F401
import csv  # noqa: F401
import dataclasses  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import http.client  # noqa: F401
import json  # noqa: F401
import logging  # noqa: F401
import pathlib  # noqa: F401
import subprocess  # noqa: F401
import typing  # noqa: F401
import xml.etree.ElementTree  # noqa: F401
import zipfile  # noqa: F401


def noop():
    """What a started worker runs: nothing, so start + join is all that is timed."""
