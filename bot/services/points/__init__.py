"""Member points (党员积分, measure 14) and branch star ratings (评星定级, measure 13), from the records."""
