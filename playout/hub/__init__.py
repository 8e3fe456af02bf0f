"""The province hub: every station's as-run log in one PostgreSQL (``playout hub ...``).

Needs the ``[hub]`` extra (FastAPI, uvicorn, psycopg, Alembic); the station never imports it.
"""
