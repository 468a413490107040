"""Scoring documents against a rubric: signals, a calibrated model, runs and evaluation.

Stages, one module each: ``vectors`` (rubric texts embedded once, cached in the catalogue),
``signals`` (what each provision shows for each criterion), ``calibration`` (the fitted
model, saved next to the rubric), ``scorer`` (levels, evidence and reasons), ``runs``
(history in the catalogue), ``evaluate`` (gold metrics and baselines), ``country``.
"""
