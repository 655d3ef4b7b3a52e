"""Running snippets and deciding whether they are verified.

- :mod:`.protocol`      the typed messages between the pool and a worker, and the run statuses
- :mod:`.worker`        a warm worker process: NumPy loaded once, one forked, limited child per snippet
- :mod:`.pool`          warm workers in parallel; a dead worker is replaced
- :mod:`.deps`          which snippets a snippet imports
- :mod:`.cache`         one atomic file per run, keyed on what was executed
- :mod:`.outputs`       numeric comparison of printed output with the pinned output
- :mod:`.verification`  the verdict (:class:`Verdict`, :class:`Failure`) of each term's snippet
"""
