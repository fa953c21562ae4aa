"""Serializers under django-valkey 0.4's dotted paths."""
