"""The base of every websocket consumer: no session, no socket."""
from channels.generic.websocket import AsyncJsonWebsocketConsumer

# Close code for "login required", in the 4000-4999 range left to applications.
CLOSE_LOGIN_REQUIRED = 4401


class LoginRequiredConsumer(AsyncJsonWebsocketConsumer):
    """Refuses the handshake unless the session belongs to a logged-in account.
    Origins are checked before this by ExactOriginValidator (dashboard/asgi.py)."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_LOGIN_REQUIRED)
            return
        await self.accept()
        await self.on_connect()

    async def on_connect(self):
        """Subclasses join their groups and send the first state here."""
