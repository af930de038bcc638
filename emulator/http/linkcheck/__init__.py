"""http/linkcheck"""
