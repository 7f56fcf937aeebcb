-- Shared by every RedisStore script (orderkit/inventory/_redis.py prepends it to each).
--
-- KEYS[1] is the namespace's hash tag "{namespace}"; every key is named after it:
--   <tag>:reservations  hash: reservation id -> reservation JSON (Reservation.to_json form)
--   <tag>:expiry        sorted set: active reservations with an expiry, scored by it
--   <tag>:operations    hash: op_key -> its fingerprint, a newline, then its result JSON
--   <tag>:journal       stream: entry id "<seq>-0", field "entry" = JournalEntry JSON
--   <tag>:seq           the seq of the last journal entry
--   <tag>:stocks        set of the stock hash keys; a stock hash (on_hand, reserved,
--                       frozen, updated_at_ms, sku, location) is named
--                       "<tag>:stocks:<bytes in sku>:<sku>@<location>"
--
-- An idempotent operation gets its fingerprint (the JSON array [operation, ...payload])
-- as its request: the script acts on the decoded payload and records the text as is.
-- Fingerprints hold no newline (JSON escapes it). An operation reads through the caches
-- below and buffers every write; run() calls flush() only when the operation returned,
-- so a refusal leaves no trace. Results are JSON text, built once.

local TAG = KEYS[1]
local RESERVATIONS, EXPIRY, OPERATIONS = TAG .. ":reservations", TAG .. ":expiry", TAG .. ":operations"
local JOURNAL, SEQ, STOCKS = TAG .. ":journal", TAG .. ":seq", TAG .. ":stocks"

local stocks, dirty_stocks = {}, {}
local reservations, loaded, texts = {}, {}, {}
local written, written_ids = {}, {}
local entries = {}
local outcome = nil

-- Integers as exact decimal text (the same few recur: times, quantities, zeros).
local decimals = {}
local function int(n)
  local text = decimals[n]
  if text == nil then
    text = string.format("%d", n)
    decimals[n] = text
  end
  return text
end

local str = cjson.encode

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

-- Stop the operation; the caller gets {kind, detail} and nothing is written.
local function refuse(kind, detail)
  error({ refusal = kind, detail = detail })
end

local function array(items, to_json)
  local parts = {}
  for i, item in ipairs(items) do
    parts[i] = to_json(item)
  end
  return "[" .. table.concat(parts, ",") .. "]"
end

-- Stock ------------------------------------------------------------------------------

local function stock_key(sku, location)
  return STOCKS .. ":" .. #sku .. ":" .. sku .. "@" .. location
end

-- A stock record: its counters as stored, zeros if it was never counted.
local function load_stock(key, sku, location)
  local row = stocks[key]
  if row == nil then
    local f = redis.call("HMGET", key, "on_hand", "reserved", "frozen", "updated_at_ms")
    row = {
      key = key,
      exists = f[1] ~= false,
      sku = sku,
      location = location,
      on_hand = tonumber(f[1]) or 0,
      reserved = tonumber(f[2]) or 0,
      frozen = f[3] == "1",
      updated_at_ms = tonumber(f[4]) or 0,
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
  return '{"sku":' .. str(row.sku) .. ',"location":' .. str(row.location)
    .. ',"on_hand":' .. int(row.on_hand) .. ',"reserved":' .. int(row.reserved)
    .. ',"frozen":' .. tostring(row.frozen) .. ',"updated_at_ms":' .. int(row.updated_at_ms) .. "}"
end

local function change(sku, location, on_hand, reserved)
  return { sku = sku, location = location, on_hand = on_hand, reserved = reserved }
end

local function change_json(c)
  return '{"sku":' .. str(c.sku) .. ',"location":' .. str(c.location)
    .. ',"on_hand":' .. int(c.on_hand) .. ',"reserved":' .. int(c.reserved) .. "}"
end

local function move(row, at, on_hand, reserved)
  row.on_hand = row.on_hand + on_hand
  row.reserved = row.reserved + reserved
  touch(row, at)
  return change(row.sku, row.location, on_hand, reserved)
end

-- Lines from a request's [[sku, location, quantity], ...].
local function request_lines(triples)
  local lines = {}
  for i, t in ipairs(triples) do
    lines[i] = { sku = t[1], location = t[2], quantity = t[3] }
  end
  return lines
end

local function line_json(line)
  return '{"sku":' .. str(line.sku) .. ',"location":' .. str(line.location)
    .. ',"quantity":' .. int(line.quantity) .. "}"
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
  entries[#entries + 1] = {
    kind = kind,
    at = at,
    op_key = op_key,
    reservation_id = reservation_id,
    changes = changes,
    frozen = frozen,
  }
end

local function entry_json(entry, seq)
  return '{"seq":' .. int(seq) .. ',"at_ms":' .. int(entry.at) .. ',"kind":"' .. entry.kind
    .. '","op_key":' .. str(entry.op_key) .. ',"changes":' .. array(entry.changes, change_json)
    .. (entry.reservation_id and ',"reservation_id":' .. str(entry.reservation_id) or "")
    .. (entry.frozen ~= nil and ',"frozen":' .. tostring(entry.frozen) or "") .. "}"
end

-- The first result of op_key (JSON text); a different fingerprint is a reused key.
local function replayed(op_key, fingerprint)
  local text = redis.call("HGET", OPERATIONS, op_key)
  if not text then
    return nil
  end
  if string.sub(text, 1, #fingerprint + 1) ~= fingerprint .. "\n" then
    refuse("duplicate", { op_key })
  end
  return string.sub(text, #fingerprint + 2)
end

-- Remember the result text of op_key, and return it.
local function record(op_key, fingerprint, text)
  outcome = { op_key, fingerprint .. "\n" .. text }
  return text
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
    loaded[id] = true
  end
  return held
end

local function put_reservation(held)
  local id = held.reservation_id
  reservations[id] = held
  texts[id] = nil
  if not written[id] then
    written[id] = true
    written_ids[#written_ids + 1] = id
  end
end

-- The JSON of a reservation, once its operation has finished changing it.
local function reservation_json(held)
  local id = held.reservation_id
  local text = texts[id]
  if not text then
    text = '{"reservation_id":' .. str(id) .. ',"status":"' .. held.status
      .. '","lines":' .. array(held.lines, line_json)
      .. ',"committed":' .. array(held.committed, line_json)
      .. ',"created_at_ms":' .. int(held.created_at_ms)
      .. ',"updated_at_ms":' .. int(held.updated_at_ms)
      .. (held.expires_at_ms and ',"expires_at_ms":' .. int(held.expires_at_ms) or "") .. "}"
    texts[id] = text
  end
  return text
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

-- Expire the active reservations due at `at` (those holding a key of `lines`, if given).
local function expire_due(at, lines)
  local ids = redis.call("ZRANGEBYSCORE", EXPIRY, "-inf", int(at))
  if #ids == 0 then
    return ids
  end
  local due, wanted = {}, lines and quantities(lines)
  for _, id in ipairs(ids) do
    local held = reservation(id)
    if not wanted or holds(held, wanted) then
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
      "on_hand", int(row.on_hand),
      "reserved", int(row.reserved),
      "frozen", row.frozen and "1" or "0",
      "updated_at_ms", int(row.updated_at_ms)
    )
    if not row.exists then
      redis.call("HSET", row.key, "sku", row.sku, "location", row.location)
      redis.call("SADD", STOCKS, row.key)
    end
  end
  for _, id in ipairs(written_ids) do
    local held = reservations[id]
    redis.call("HSET", RESERVATIONS, id, reservation_json(held))
    if held.status == "active" and held.expires_at_ms and held.expires_at_ms ~= 0 then
      redis.call("ZADD", EXPIRY, int(held.expires_at_ms), id)
    elseif loaded[id] then
      redis.call("ZREM", EXPIRY, id)
    end
  end
  if #entries > 0 then
    local seq = redis.call("INCRBY", SEQ, #entries) - #entries
    for i, entry in ipairs(entries) do
      redis.call("XADD", JOURNAL, int(seq + i) .. "-0", "entry", entry_json(entry, seq + i))
    end
  end
  if outcome then
    redis.call("HSET", OPERATIONS, outcome[1], outcome[2])
  end
end

-- Reply with the result's JSON text after writing everything, or with {refusal, detail}
-- (a nested array) having written nothing.
local function run(operation)
  local ok, result = pcall(operation)
  if not ok then
    if type(result) == "table" and result.refusal then
      return { result.refusal, result.detail }
    end
    error(result)
  end
  flush()
  return result
end
