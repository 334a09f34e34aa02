"""`kkm2 serve`: the submission service for IT vendors and municipalities (issue 21).

- tokens: the steward's API tokens (random, stored only as hashes, per municipality or a vendor's list of
  municipalities, with rights `indberet` and `laes`) and `authenticate`, the one function that turns a
  request's Authorization header into a caller — the seam for OIDC
- audit: every request (who, what, when, result) in `<home>/service/audit.sqlite`
- app: the HTTP API v1 (FastAPI), which writes only `landing/` (atomically) and reads only the status
  snapshot and the current release — never the live warehouse

The service keeps its own state in `<home>/service/` (SQLite), not in the DuckDB warehouse: DuckDB allows one
writing process, and that is the pipeline's."""
