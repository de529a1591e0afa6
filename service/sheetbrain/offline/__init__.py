"""Offline audit of spreadsheet files: readers, renderers and the `sheetbrain audit` command."""
