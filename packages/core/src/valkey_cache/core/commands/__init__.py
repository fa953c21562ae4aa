"""The commands: what each one sends and makes of the replies, written once.

``table`` declares every command (``declare`` turns declarations into methods);
``standard`` holds the commands of one server, ``herd`` and ``fanout`` the variants of
the herd client and of clients whose keys live on several servers; ``ops`` is what a
command asks a driver to do.
"""
