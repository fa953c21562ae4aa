"""Drivers: run a command's ops on valkey-py, blocking (``sync``) or asyncio (``asynchronous``).

Both classify failures the same way (``errors``): an outage, a refusal, or the server's
answer to the command.
"""
