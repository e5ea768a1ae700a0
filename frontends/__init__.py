"""switcheroo.frontends"""
