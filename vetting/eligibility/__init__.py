"""Eligibility for KT1 routes: facts gathered as of a time, judged by `policies.eligibility`."""
