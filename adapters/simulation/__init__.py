"""Simulation of the preventive playbook and the classic dunning process.

``vangnet simulate`` (``adapters/cli/simulate.py``) drives a synthetic population
through the production application day by day (``engine``), with every behaviour
number taken from a scenario (``scenario``), and reports the corporation's KPIs
(``kpi``) as a table, JSON, CSV, charts and one HTML page (``render``).
``vangnet report`` computes the same KPIs for any store.

Performance note: the daily run posts rent only on the days a charge can fall due
(the first of a month and days a tenancy starts): ``application.daily_run`` loads
every running tenancy each day it posts rent, which is a no-op on other days.
"""
