"""Agency data from SSBTEK (Sammansatt bastjänst för ekonomiskt bistånd), version 10.

Reading real answers (:func:`parse_response`), writing synthetic ones (:func:`build_response`),
and the sources behind one interface (:class:`AgencySource`): answer files, the SOAP client and
the local fake server.
"""

from ssbtek._build import build_response
from ssbtek._parse import parse_response

__all__ = ["build_response", "parse_response"]
