"""Order health: scorecards, sustained-breach alerts, intake risk, fraud velocity and metrics (MISSION H1-H9)."""
