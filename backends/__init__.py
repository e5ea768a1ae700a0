"""switcheroo.backends"""
