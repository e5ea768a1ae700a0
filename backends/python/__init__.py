"""switcheroo.backends.python"""
