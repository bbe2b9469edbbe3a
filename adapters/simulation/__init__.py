"""Simulation of the preventive playbook and the classic dunning process.

``vangnet simulate`` (``adapters/cli/simulate.py``) drives a synthetic population
through the production application day by day (``engine``), with every behaviour
number taken from a scenario (``scenario``), and reports the corporation's KPIs
(``kpi``) as a table, JSON, CSV, charts and one HTML page (``render``).
``vangnet report`` computes the same KPIs for any store.

Performance notes (simulation only, the application is used as is):

- the daily run posts rent only on the days a charge can fall due (the first of a
  month, the day a tenancy starts): ``application.daily_run`` loads every running
  tenancy each day it posts rent, which is a no-op on the other days;
- the aggregate cache is on (``Settings.cache_size``) without a defensive copy per
  load: the simulation is its store's only writer, and the application clears the
  cache whenever a command fails.
"""
