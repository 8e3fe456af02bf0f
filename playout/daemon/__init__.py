"""The playout daemon: airs the plan, logs every airing, recovers from crashes.

Import its modules directly (``playout.daemon.service``, ``playout.daemon.control``, ...): this
package imports nothing itself, so a command that only talks to the running daemon (``playout
status``) does not load the planner, SQLAlchemy or libvlc.
"""
