"""Statistics to Socialstyrelsen: the caseworker's försörjningshinder codes, the month's delivery, the year.

- :func:`check_codes` / :func:`with_suggestion`: codes given in a decision, checked against the list
  in force (``regelverk/statistik/``) and compared with the engine's suggestion;
- :func:`build_month`: the month's household and person records from the decision log, with every
  problem that stops the delivery named by decision id; :mod:`statistik._layout` is the file layout;
- :func:`year_figures` / :func:`render_year_html`: the year summed, with a page of charts.
"""

from statistik._codes import check_codes, with_suggestion
from statistik._layout import HOUSEHOLD_FIELDS, LAYOUT, PERSON_FIELDS, to_csv
from statistik._month import SUPPLEMENT, MonthDelivery, build_month, household_type
from statistik._year import render_year_html, year_figures

__all__ = [
    "HOUSEHOLD_FIELDS",
    "LAYOUT",
    "PERSON_FIELDS",
    "SUPPLEMENT",
    "MonthDelivery",
    "build_month",
    "check_codes",
    "household_type",
    "render_year_html",
    "to_csv",
    "with_suggestion",
    "year_figures",
]
