"""http/knock"""
