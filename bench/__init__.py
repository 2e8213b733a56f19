"""City-scale benchmark: a synthetic city (``siwei bench generate``) and the figures measured on
it, each beside a raw baseline measured in the same run (``siwei bench run``)."""
