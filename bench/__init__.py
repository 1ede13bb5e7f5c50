"""`make bench`: performance figures printed beside floors measured in the same run.

Each module ``bench/bench_*.py`` defines ``run(report)``; ``report(name, figure, floor, unit)``
prints one line. A floor is a reference measured in the same run on the same machine (the naive
way, or the plain library call), so figures compare like with like and never depend on a
hard-coded number.
"""
