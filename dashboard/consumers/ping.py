"""A minimal authenticated websocket: answers {"pong": username}.  Used by the
header to show that live updates are connected, and by tests of the handshake."""
import json

from dashboard.consumers.base import PodhouseConsumer


class PingConsumer(PodhouseConsumer):
    async def ready(self):
        await self.send(text_data=json.dumps({"pong": self.scope["user"].username}))
