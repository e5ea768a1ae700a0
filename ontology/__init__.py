"""switcheroo.ontology"""
