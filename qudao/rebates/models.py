"""Rebates (返利): policies, their tiers and targets, runs and the lines they post to each
partner's rebate fund. (Built by the rebates work of issue 5.)"""
