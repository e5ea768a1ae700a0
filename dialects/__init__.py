"""switcheroo.dialects"""
