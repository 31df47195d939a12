import { LuaScript } from './lua-script';

/**
 * Every change to a user's bindings, atomic so two REGISTERs for one user landing on two
 * instances cannot interleave between the CSeq check and the write.
 *
 * KEYS[1] the user's binding hash, KEYS[2] the tenant's zset of registered users
 * ARGV[1] user, ARGV[2] op ('bind' | 'unbind' | 'unbindAll'), ARGV[3] JSON arguments,
 * ARGV[4] (bind, optional) the most bindings the user may have after it
 *
 * Returns {1, now, binding JSON...} with the user's live bindings, or {0, now, contact}
 * when RFC 3261 10.3 step 6/7 refuses the request (same Call-ID, CSeq not higher), or
 * {2, now, count} when the bind would leave the user more than ARGV[4] bindings.
 *
 * Each binding holds its absolute expiry (Redis clock, ms): lookups filter on it, and
 * each write prunes expired fields and moves the hash's TTL to the latest expiry, so a
 * user who stops registering leaves nothing behind. The tenant's zset is scored with
 * those same expiries and expires with its latest member.
 */
export const registrationScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local op, args = ARGV[2], cjson.decode(ARGV[3])

local function live(field)
  local v = redis.call('HGET', KEYS[1], field)
  if not v then return nil end
  local b = cjson.decode(v)
  if b.expiresAt <= now then return nil end
  return b
end

if op == 'bind' then
  -- RFC 3261 10.3 step 7: a binding with the same Call-ID and a CSeq not lower than the
  -- request's aborts the whole REGISTER; none of its contacts may be applied.
  for _, c in ipairs(args) do
    local b = live(c.contact)
    if b and b.callId == c.callId and c.cseq <= b.cseq then return {0, now, c.contact} end
  end
  -- ARGV[4] (optional): most bindings the user may have once this REGISTER is applied
  -- (issue #13: one call must not fork to hundreds of contacts); over it, nothing changes.
  local max = tonumber(ARGV[4])
  if max then
    local after, seen = {}, 0
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do
      if cjson.decode(all[i + 1]).expiresAt > now then after[all[i]] = true end
    end
    for _, c in ipairs(args) do after[c.contact] = c.expires > 0 or nil end
    for _ in pairs(after) do seen = seen + 1 end
    if seen > max then return {2, now, seen} end
  end
  for _, c in ipairs(args) do
    if c.expires > 0 then
      c.expiresAt = now + c.expires * 1000
      c.updatedAt = now
      c.expires = nil
      redis.call('HSET', KEYS[1], c.contact, cjson.encode(c))
    else
      redis.call('HDEL', KEYS[1], c.contact)
    end
  end
elseif op == 'unbind' then
  redis.call('HDEL', KEYS[1], args.contact)
elseif op == 'unbindAll' then
  -- RFC 3261 10.3 step 6 (Contact: *): the same Call-ID/CSeq rule, per binding.
  if args.callId then
    local all = redis.call('HGETALL', KEYS[1])
    for i = 1, #all, 2 do
      local b = cjson.decode(all[i + 1])
      if b.expiresAt > now and b.callId == args.callId and args.cseq <= b.cseq then return {0, now, all[i]} end
    end
  end
  redis.call('DEL', KEYS[1])
else
  return redis.error_reply('unknown op ' .. tostring(op))
end

local all = redis.call('HGETALL', KEYS[1])
local out = {1, now}
local latest = 0
for i = 1, #all, 2 do
  local b = cjson.decode(all[i + 1])
  if b.expiresAt <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    if b.expiresAt > latest then latest = b.expiresAt end
    out[#out + 1] = all[i + 1]
  end
end
if latest > 0 then
  redis.call('PEXPIREAT', KEYS[1], latest)
  redis.call('ZADD', KEYS[2], latest, ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if top[2] then redis.call('PEXPIREAT', KEYS[2], top[2]) end
return out
`);
