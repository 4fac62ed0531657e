-- wrk script for bench/soak: a mixed TAXII load. Each request is one of
--   40% a page of objects read by one of several partners,
--   20% the next page of an earlier read (following "next"),
--   20% a manifest page read by a partner,
--   20% a write of a 5-object envelope by the local writer.
-- Environment: SOAK_READERS (comma-separated partner tokens), SOAK_WRITER (a token),
-- SOAK_OUT (where done() writes its JSON summary).
local readers = {}
for t in string.gmatch(os.getenv("SOAK_READERS") or "", "[^,]+") do readers[#readers + 1] = t end
local writer = os.getenv("SOAK_WRITER")
local base = "/taxii2/default/collections/soak/"
local accept = "application/taxii+json;version=2.1"
local counter, nexttok, nextowner = 0, nil, nil
bad = ""  -- per thread: "status " for every unexpected answer, read by done()

local function uuid4()
  return string.format("%08x-%04x-4%03x-%04x-%012x", math.random(0, 0xffffffff),
    math.random(0, 0xffff), math.random(0, 0xfff), 0x8000 + math.random(0, 0x3fff),
    math.random(0, 0xffffffffffff))
end

local threads = {}
function setup(thread)
  thread:set("seed", math.random(1, 1e9))
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(seed or os.time())
end

local function get(path, token)
  return wrk.format("GET", path, {["Accept"] = accept, ["Authorization"] = "Bearer " .. token})
end

function request()
  counter = counter + 1
  local k = counter % 10
  local reader = readers[math.random(1, #readers)]
  if k < 4 then
    return get(base .. "objects/?limit=50&match[type]=malware,indicator", reader)
  elseif k < 6 then
    if nexttok then
      local tok, who = nexttok, nextowner
      nexttok = nil
      return get(base .. "objects/?limit=50&match[type]=malware,indicator&next=" .. tok, who)
    end
    return get(base .. "objects/?limit=50&match[type]=malware,indicator", reader)
  elseif k < 8 then
    return get(base .. "manifest/?limit=100", reader)
  end
  local objs = {}
  for i = 1, 5 do
    objs[i] = string.format('{"type":"malware","spec_version":"2.1","id":"malware--%s",' ..
      '"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",' ..
      '"name":"soak %d","is_family":false}', uuid4(), counter)
  end
  return wrk.format("POST", base .. "objects/", {
    ["Accept"] = accept, ["Content-Type"] = accept, ["Authorization"] = "Bearer " .. writer},
    '{"objects":[' .. table.concat(objs, ",") .. ']}')
end

function response(status, headers, body)
  if status >= 300 then
    bad = bad .. status .. ":" .. string.sub(body, 1, 120) .. "\n"
  end
  -- only pages of the objects query are followed (a manifest's token is for the manifest)
  if status == 200 and not string.find(body, '"date_added"', 1, true) then
    local tok = string.match(body, '"next":"([^"]+)"')
    if tok then
      nexttok = tok
      nextowner = readers[math.random(1, #readers)] -- another partner may follow it
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local f = io.open(os.getenv("SOAK_OUT"), "w")
  f:write(string.format('{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
  f:close()
  local all = ""
  for _, t in ipairs(threads) do all = all .. (t:get("bad") or "") end
  if #all > 0 then io.stderr:write(string.sub(all, 1, 2000)) end
end
