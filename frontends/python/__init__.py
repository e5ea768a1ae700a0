"""switcheroo.frontends.python"""
