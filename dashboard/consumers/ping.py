"""A minimal authenticated websocket: answers {"pong": username}.  Used by the
header to show that live updates are connected, and by tests of the handshake."""
from dashboard.consumers.base import LoginRequiredConsumer


class PingConsumer(LoginRequiredConsumer):
    async def on_connect(self):
        await self.send_json({"pong": self.scope["user"].username})
