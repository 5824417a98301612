"""Reads an exported table back as a spreadsheet user's tools would, for the
integration tests of the server and the CLI: Python's csv module for CSV (plain, or
French with its BOM and ';'), openpyxl for XLSX (formulas kept as formulas).

    python3 readback.py csv|csv-excel|xlsx FILE

prints JSON: {"sheets": {name: [[cell, ...], ...]}, "formulas": n}; a cell is a
string, a number or null; "formulas" counts the cells a spreadsheet would evaluate.
"""

import csv
import json
import sys


def read_csv(path, dialect):
    encoding, delimiter = ("utf-8-sig", ";") if dialect == "csv-excel" else ("utf-8", ",")
    with open(path, newline="", encoding=encoding) as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    return {"sheets": {"csv": rows}, "formulas": 0}


def read_xlsx(path):
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheets, formulas = {}, 0
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows():
            out = []
            for cell in row:
                if cell.data_type == "f":
                    formulas += 1
                value = cell.value
                out.append(value if value is None or isinstance(value, (str, int, float)) else str(value))
            rows.append(out)
        sheets[sheet.title] = rows
    return {"sheets": sheets, "formulas": formulas, "frozen": book.worksheets[0].freeze_panes,
            "autofilter": book.worksheets[0].auto_filter.ref,
            "formats": [c.number_format for c in book.worksheets[0][2]] if book.worksheets[0].max_row >= 2 else []}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    result = read_xlsx(path) if kind == "xlsx" else read_csv(path, kind)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
