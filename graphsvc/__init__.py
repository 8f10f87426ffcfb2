"""graphsvc: find the KOLs of community commerce in referral and interaction graphs."""

__version__ = "0.1.0"
