"""An atomic ticket lock store on Redis for several Rasa 3.6 servers sharing conversations.

In Rasa's endpoints.yml:

    lock_store:
      type: redis_ticket_lock.AtomicRedisLockStore
      url: localhost        # the Redis host
      port: 6379
      db: 0
      key_prefix: shop_lock
      lease_seconds: 5      # a killed server frees its conversations within this long
      poll_seconds: 0.05    # how often a waiting turn asks whether it is served
"""

from .store import AtomicRedisLockStore

__all__ = ["AtomicRedisLockStore"]
