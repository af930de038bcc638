"""http/resend"""
