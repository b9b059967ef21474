"""The Lua scripts: every read-modify-write of a conversation's tickets, each one atomic inside Redis.

One Redis hash per conversation (`<key_prefix>:<conversation_id>`) holds everything:
- field `last_issued`: the ticket counter (HINCRBY, so two servers never get the same number: RasaHQ/rasa#9213);
- one field per live ticket, named by its number, whose value is the ticket's lease expiry in milliseconds.
One key rather than a counter key and a ticket key: a script touches a single key (so it also runs on a Redis
Cluster), and one TTL covers all of it.

The ticket served now is the lowest live number. Expiry is measured on Redis's clock (TIME), so it does not
matter whether the Rasa servers' clocks agree. Scripts call TIME before writing, which Redis replicates by effects
(always since Redis 7, by default since 5; `replicate_commands` switches it on for older servers).

When no live ticket is left the hash is deleted, counter included. A counter that restarted at 1 would hand out
numbers again, and a process that was frozen past its lease (stopped, swapped out) could then take someone else's
new ticket for its own old one. So a missing counter restarts from Redis's clock in microseconds: numbers keep
increasing across restarts of the counter (Redis runs well under one script per microsecond), and stay below
2^53, where Lua's numbers (doubles) are still exact, until the year 2255.
"""

from __future__ import annotations

_PRELUDE = """
if redis.replicate_commands then redis.replicate_commands() end

local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]), tonumber(t[2])
end

local function now_ms()
  local seconds, micros = clock()
  return seconds * 1000 + math.floor(micros / 1000)
end

-- Lua prints large numbers in exponent notation; hash fields and values need all their digits.
local function digits(number)
  return string.format('%d', number)
end

-- Deletes the tickets whose lease ran out; returns the lowest live ticket (nil if none) and how many live.
local function drop_expired(key, now)
  local fields = redis.call('HGETALL', key)
  local lowest, live = nil, 0
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name ~= 'last_issued' then
      if tonumber(fields[i + 1]) < now then
        redis.call('HDEL', key, name)
      else
        local number = tonumber(name)
        live = live + 1
        if lowest == nil or number < lowest then lowest = number end
      end
    end
  end
  return lowest, live
end

-- Only ever lengthens the key's TTL: servers configured with different leases must not cut each other's short.
local function keep_key_for(key, ttl_ms)
  local left = redis.call('PTTL', key)
  if left ~= -2 and left < ttl_ms then redis.call('PEXPIRE', key, ttl_ms) end
end
"""

# KEYS[1] conversation hash; ARGV lease_ms, key_ttl_ms. Returns {ticket, ticket served now}.
ISSUE = (
    _PRELUDE
    + """
local lease_ms, ttl_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
local seconds, micros = clock()
local now = seconds * 1000 + math.floor(micros / 1000)
local lowest = drop_expired(KEYS[1], now)
if redis.call('HEXISTS', KEYS[1], 'last_issued') == 0 then
  redis.call('HSET', KEYS[1], 'last_issued', digits(seconds * 1000000 + micros))
end
local ticket = redis.call('HINCRBY', KEYS[1], 'last_issued', 1)
redis.call('HSET', KEYS[1], digits(ticket), digits(now + lease_ms))
keep_key_for(KEYS[1], ttl_ms)
return {ticket, lowest or ticket}
"""
)

# KEYS[1] conversation hash; ARGV ticket ('' for none). Returns {ticket served now or -1, 1 if ARGV's ticket lives}.
SERVING = (
    _PRELUDE
    + """
local lowest, live = drop_expired(KEYS[1], now_ms())
if live == 0 then
  redis.call('DEL', KEYS[1])
  return {-1, 0}
end
local mine = 0
if ARGV[1] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then mine = 1 end
return {lowest, mine}
"""
)

# KEYS[1] conversation hash; ARGV ticket, lease_ms, key_ttl_ms. Returns 1 if extended, 0 if the ticket was gone.
# A lapsed ticket is never revived: its turn may already have gone to someone else.
REFRESH = (
    _PRELUDE
    + """
local now = now_ms()
local expires = redis.call('HGET', KEYS[1], ARGV[1])
if not expires or tonumber(expires) < now then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], digits(now + tonumber(ARGV[2])))
keep_key_for(KEYS[1], tonumber(ARGV[3]))
return 1
"""
)

# KEYS[1] conversation hash; ARGV ticket. Returns 1 if the ticket was still there. Deletes the hash when nobody
# else holds or waits, so an idle conversation leaves no key behind.
FINISH = (
    _PRELUDE
    + """
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
local _, live = drop_expired(KEYS[1], now_ms())
if live == 0 then redis.call('DEL', KEYS[1]) end
return removed
"""
)

# KEYS[1] conversation hash. Returns {Redis's now in ms, ticket, expiry, ticket, expiry, ...} of the live tickets.
LIVE = (
    _PRELUDE
    + """
local now = now_ms()
local _, live = drop_expired(KEYS[1], now)
if live == 0 then
  redis.call('DEL', KEYS[1])
  return {now}
end
local reply = {now}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= 'last_issued' then
    table.insert(reply, tonumber(fields[i]))
    table.insert(reply, tonumber(fields[i + 1]))
  end
end
return reply
"""
)
