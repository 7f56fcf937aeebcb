-- Shared by every RedisStore script (orderkit/inventory/_redis.py prepends it to each).
--
-- KEYS, all under one hash tag:
--   1 reservations  hash: reservation id -> reservation JSON (Reservation.to_json form)
--   2 expiry        sorted set: active reservation ids with an expiry, scored by expires_at_ms
--   3 operations    hash: op_key -> {"fingerprint": ..., "result": ...}
--   4 journal       stream: entry id "<seq>-0", field "entry" = JournalEntry JSON
--   5 seq           the seq of the last journal entry
--   6 stocks        set of the stock hash keys, named "<KEYS[6]>:<bytes in sku>:<sku>@<location>"
--
-- An operation reads through the caches below and buffers every write; run() calls
-- flush() only when the operation returned, so a refusal leaves no trace.

local RESERVATIONS, EXPIRY, OPERATIONS, JOURNAL, SEQ, STOCKS =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

local stocks, dirty_stocks = {}, {}
local reservations, written, written_ids = {}, {}, {}
local entries, last_seq = {}, nil
local outcome = nil

local function int(n)
  return string.format("%d", n)
end

-- JSON with exact integers; tables without keys are arrays (every object has a key).
local function encode(value)
  local kind = type(value)
  if kind == "string" then
    return cjson.encode(value)
  elseif kind == "number" then
    return int(value)
  elseif kind == "boolean" then
    return tostring(value)
  end
  local parts = {}
  if next(value) == nil or value[1] ~= nil then
    for i, item in ipairs(value) do
      parts[i] = encode(item)
    end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for name, item in pairs(value) do
    parts[#parts + 1] = cjson.encode(name) .. ":" .. encode(item)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Byte order, as Python orders str (string < follows the server's locale).
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end

local function refuse(kind, detail)
  error({ refusal = kind, detail = detail })
end

-- Stock ------------------------------------------------------------------------------

local function stock_key(sku, location)
  return STOCKS .. ":" .. #sku .. ":" .. sku .. "@" .. location
end

local function load_stock(key, sku, location)
  local row = stocks[key]
  if row == nil then
    local f = redis.call(
      "HMGET", key, "sku", "location", "on_hand", "reserved", "frozen", "updated_at_ms"
    )
    row = {
      key = key,
      exists = f[1] ~= false,
      sku = f[1] or sku,
      location = f[2] or location,
      on_hand = tonumber(f[3]) or 0,
      reserved = tonumber(f[4]) or 0,
      frozen = f[5] == "1",
      updated_at_ms = tonumber(f[6]) or 0,
    }
    stocks[key] = row
  end
  return row
end

local function stock(sku, location)
  return load_stock(stock_key(sku, location), sku, location)
end

local function touch(row, at)
  row.updated_at_ms = at
  if not row.dirty then
    row.dirty = true
    dirty_stocks[#dirty_stocks + 1] = row
  end
end

local function available(row)
  return row.frozen and 0 or row.on_hand - row.reserved
end

local function stock_json(row)
  return {
    sku = row.sku,
    location = row.location,
    on_hand = row.on_hand,
    reserved = row.reserved,
    frozen = row.frozen,
    updated_at_ms = row.updated_at_ms,
  }
end

local function change(sku, location, on_hand, reserved)
  return { sku = sku, location = location, on_hand = on_hand, reserved = reserved }
end

local function move(row, at, on_hand, reserved)
  row.on_hand = row.on_hand + on_hand
  row.reserved = row.reserved + reserved
  touch(row, at)
  return change(row.sku, row.location, on_hand, reserved)
end

-- Lines from ARGV triples (sku, location, quantity) starting at ARGV[first].
local function argv_lines(first)
  local lines = {}
  for i = first, #ARGV, 3 do
    lines[#lines + 1] = { sku = ARGV[i], location = ARGV[i + 1], quantity = tonumber(ARGV[i + 2]) }
  end
  return lines
end

local function quantities(lines)
  local by_key = {}
  for _, line in ipairs(lines) do
    by_key[stock_key(line.sku, line.location)] = line.quantity
  end
  return by_key
end

-- Journal and operations -------------------------------------------------------------

local function journal(kind, at, op_key, reservation_id, changes, frozen)
  if last_seq == nil then
    last_seq = tonumber(redis.call("GET", SEQ)) or 0
  end
  last_seq = last_seq + 1
  entries[#entries + 1] = {
    seq = last_seq,
    at_ms = at,
    kind = kind,
    op_key = op_key,
    reservation_id = reservation_id,
    changes = changes,
    frozen = frozen,
  }
end

-- The first result of op_key; a different fingerprint is a reused key.
local function replayed(op_key, fingerprint)
  local text = redis.call("HGET", OPERATIONS, op_key)
  if not text then
    return nil
  end
  local stored = cjson.decode(text)
  if stored.fingerprint ~= fingerprint then
    refuse("duplicate", { op_key })
  end
  return stored.result
end

local function record(op_key, fingerprint, result)
  outcome = { op_key, encode({ fingerprint = fingerprint, result = result }) }
end

-- Reservations -----------------------------------------------------------------------

local function reservation(id)
  local held = reservations[id]
  if held == nil then
    local text = redis.call("HGET", RESERVATIONS, id)
    if not text then
      return nil
    end
    held = cjson.decode(text)
    reservations[id] = held
  end
  return held
end

local function put_reservation(held)
  local id = held.reservation_id
  reservations[id] = held
  if not written[id] then
    written[id] = true
    written_ids[#written_ids + 1] = id
  end
end

local function known(id)
  local held = reservation(id)
  if held == nil then
    refuse("unknown", { id })
  end
  return held
end

local function active(id, operation)
  local held = known(id)
  if held.status ~= "active" then
    refuse("closed", { id, held.status, operation })
  end
  return held
end

-- What is still held per line (reserved minus committed), zeros left out, in key order.
local function remaining(held)
  local done = quantities(held.committed)
  local left = {}
  for _, line in ipairs(held.lines) do
    local quantity = line.quantity - (done[stock_key(line.sku, line.location)] or 0)
    if quantity ~= 0 then
      left[#left + 1] = { sku = line.sku, location = line.location, quantity = quantity }
    end
  end
  return left
end

-- Give back what is still held and close the reservation with status.
local function finish(held, status, kind, at, op_key)
  local changes = {}
  for i, line in ipairs(remaining(held)) do
    changes[i] = move(stock(line.sku, line.location), at, 0, -line.quantity)
  end
  held.status = status
  held.updated_at_ms = at
  put_reservation(held)
  journal(kind, at, op_key, held.reservation_id, changes)
  return held
end

local function holds(held, wanted)
  for _, line in ipairs(held.lines) do
    if wanted[stock_key(line.sku, line.location)] then
      return true
    end
  end
  return false
end

-- Expire the active reservations due at `at` (those holding a key of `wanted`, if given).
local function expire_due(at, wanted)
  local due = {}
  for _, id in ipairs(redis.call("ZRANGEBYSCORE", EXPIRY, "-inf", int(at))) do
    local held = reservation(id)
    if wanted == nil or holds(held, wanted) then
      due[#due + 1] = held
    end
  end
  table.sort(due, function(a, b)
    return before(a.reservation_id, b.reservation_id)
  end)
  for i, held in ipairs(due) do
    due[i] = finish(held, "expired", "expire", at, "expire:" .. held.reservation_id)
  end
  return due
end

-- Running an operation ---------------------------------------------------------------

local function flush()
  for _, row in ipairs(dirty_stocks) do
    redis.call(
      "HSET", row.key,
      "sku", row.sku,
      "location", row.location,
      "on_hand", int(row.on_hand),
      "reserved", int(row.reserved),
      "frozen", row.frozen and "1" or "0",
      "updated_at_ms", int(row.updated_at_ms)
    )
    if not row.exists then
      redis.call("SADD", STOCKS, row.key)
    end
  end
  for _, id in ipairs(written_ids) do
    local held = reservations[id]
    redis.call("HSET", RESERVATIONS, id, encode(held))
    if held.status == "active" and held.expires_at_ms and held.expires_at_ms ~= 0 then
      redis.call("ZADD", EXPIRY, int(held.expires_at_ms), id)
    else
      redis.call("ZREM", EXPIRY, id)
    end
  end
  for _, entry in ipairs(entries) do
    redis.call("XADD", JOURNAL, int(entry.seq) .. "-0", "entry", encode(entry))
  end
  if #entries > 0 then
    redis.call("SET", SEQ, int(last_seq))
  end
  if outcome then
    redis.call("HSET", OPERATIONS, outcome[1], outcome[2])
  end
end

-- Reply {"ok", result JSON} after writing everything, or {refusal, detail JSON} having
-- written nothing.
local function run(operation)
  local ok, result = pcall(operation)
  if not ok then
    if type(result) == "table" and result.refusal then
      return { result.refusal, encode(result.detail) }
    end
    error(result)
  end
  flush()
  return { "ok", encode(result) }
end

