"""switcheroo.passes"""
