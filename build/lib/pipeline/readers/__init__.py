"""Readers turn a submitted file into a DuckDB table of text columns plus `_row`, the row number as the
contributor sees it (the header is row 1). Readers never decide validity; the validator does."""
