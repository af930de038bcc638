"""http/inspect"""
