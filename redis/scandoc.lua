#!lua name=scandoc_1
--[[
scandoc Redis Function library, data model version 1 (docs/INTERNALS.md §1).

Every write of scandoc goes through a function of this library, so each state
change is atomic and takes its time from Redis TIME (hosts with skewed clocks
still order events correctly).  Replies are flat arrays { status, body, ... }
because hiredis 0.14 drops connections on deeply nested replies.

Randomness.  Lua's math.random is not a secure source, so every id comes from
the caller (C's RAND_bytes, the admin tool's /dev/urandom).  Event ids are
derived: every function that may emit events takes a caller-generated random
`seed` as its LAST argument (appended to the INTERNALS.md lists), and the k-th
event of the call gets

    "event_" .. first 16 hex digits of SHA1(seed .. ":" .. k)

which is as unpredictable as the seed; an id already in use (or tombstoned)
just moves on to k+1.  A caller that does not pass the seed still works: the
call's main object id (itself caller-random) plus the microsecond clock is used
instead; that is weaker, so C should always pass the seed.

Arguments appended to the lists of INTERNALS.md (all optional, at the end):
  sd1_upload_file   ..., path_rel, seed
  sd1_delete_file   ..., file_id, seed
  sd1_delete_task   ..., task_id, seed
  sd1_create_task   ..., reqs_json, active_limit, seed
                    (active_limit: scandoc_active_limit; it is remembered per
                    tenant for promotions; default 16)
  sd1_claim         ..., max_attempts, seed
  sd1_finish        ..., outputs_json, seed
  sd1_fail          ..., kind, seed
sd1_release also answers {409} when the attempt is stale.  Calls repeated
after a lost reply answer as the first did: a finish or fail by the attempt
that finished the task {200}; an upload_file or create_task with the same id
(and path / operation and parameters) the existing object.
One function more (worker, at a graceful exit):
  sd1_retire        consumer -> {200} (XGROUP DELCONSUMER, or no such
                    consumer) or {409} (it still has pending entries)
A timeout failure carries details.limit_ms wherever it is found (claim or
sd1_fail kind timeout); a task's PDF password is not in its rendered
parameters (see hide_password).

Keys (all under "sd1:"; every hash carries v = "1"):
  key:<keyhash>            hash  tenant, label, created_at, revoked_at
  keys                     set   every keyhash (revocation by prefix)
  keys:<tid>               set   the tenant's keyhashes (key list)
  tenants                  zset  tenant ids by creation time
  tenant:<tid>             hash  name, retention_days, secret, seq, files,
                                 bytes, active, active_limit, created_at
  file:<id> task:<id> event:<id>   the objects (hashes, see add_file,
                                 create_task, emit)
  list:<tid>:<kind>        zset  ids by per-tenant sequence (pagination)
  expiry:<tid>             zset  ids by expires_at ms (retention sweeper)
  tomb:<id>                string "<tenant> <kind> <seq>", 7 days, so that
                                 `from` survives deletion and a deleted task
                                 input is a 422, not a 404
  queue                    stream of { task = <id> }, consumer group "sd1"
                                 (made by the first claim that misses it);
                                 handed-back entries wait pending on the
                                 consumer "sd1:handed-back"
  entries                  hash  stream entry id -> task id
  reclaim                  string XAUTOCLAIM cursor
  waiting:<parent>         zset  children parked on an unfinished task
  backlog:<tid>            list  the tenant's tasks beyond its active limit

A task's internal `stage` says where it is: waiting (on parents), backlog,
queued (in the stream, nobody runs it), running (an owner holds the attempt),
done.  `active` counts a tenant's tasks in the stream (queued + running).
]]

local P = 'sd1:'
local V = '1'
local DAY_MS = 86400000
local TOMB_SECONDS = 7 * 86400
local MAX_DEPTH = 8                 -- API.md: chains are at most 8 deep
local NAME_MAX = 50                 -- code points in a File name
local DEFAULT_RETENTION = 30
local DEFAULT_ACTIVE_LIMIT = 16
local QUEUE, GROUP = P .. 'queue', 'sd1'

-- cjson is not reachable while the library loads, only inside a call; its
-- null is a light userdata, which is how jval recognizes it


-- per-call state: one clock reading and the event id seed

local now, seed, nevents = 0, '', 0

local function begin(call_seed, fallback)
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if call_seed and call_seed ~= '' then
        seed = call_seed
    else
        seed = (fallback or '') .. ':' .. t[1] .. t[2]
    end
    nevents = 0
end


-- small helpers

-- integers as plain digits (tostring would give 1.8e+12 for large ones)
local function int(n)
    return string.format('%d', n)
end

local function rec(key)
    local r = redis.call('HGETALL', key)
    if #r == 0 then
        return nil
    end
    local t = {}
    for i = 1, #r, 2 do
        t[r[i]] = r[i + 1]
    end
    if t.v ~= V then
        return nil           -- another data-model version: not ours to read
    end
    return t
end

-- the tenant's object of that kind, or nil (another tenant's is "missing")
local function owned(kind, tenant, id)
    local r = rec(P .. kind .. ':' .. id)
    if r and r.tenant == tenant then
        return r
    end
    return nil
end

local function kind_of(id)
    return id:match('^(%l+)_') -- file / task / event
end

local function not_found(kind, id)
    local word = kind == 'task' and 'Task' or 'File'
    return { 404, word .. ' with id ' .. id .. ' not found.' }
end

-- ISO 8601 UTC with milliseconds, from epoch ms (days -> civil date after
-- Howard Hinnant's algorithm; os.date is not available to functions)
local function iso(ms)
    local floor = math.floor
    ms = tonumber(ms)
    local s = floor(ms / 1000)
    local days = floor(s / 86400)
    local sod = s - days * 86400
    local z = days + 719468
    local era = floor(z / 146097)
    local doe = z - era * 146097
    local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524)
                       - floor(doe / 146096)) / 365)
    local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
    local mp = floor((5 * doy + 2) / 153)
    local d = doy - floor((153 * mp + 2) / 5) + 1
    local m = mp < 10 and mp + 3 or mp - 9
    local y = yoe + era * 400 + (m <= 2 and 1 or 0)
    return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d,
                         floor(sod / 3600), floor(sod % 3600 / 60), sod % 60,
                         ms - s * 1000)
end


-- JSON output
-- Output is built by concatenation: cjson cannot tell [] from {} and escapes
-- "/", and caller-supplied JSON (parameters, properties, results) is spliced
-- verbatim so that empty arrays and number formats survive.

local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b',
                  ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r',
                  ['\t'] = '\\t' }

local function jstr(s)
    s = tostring(s):gsub('[%c"\\]', function(c)
        return escapes[c] or string.format('\\u%04x', c:byte())
    end)
    return '"' .. s .. '"'
end

local function jtime(ms)
    return jstr(iso(ms))
end

local function jnum(n)
    if n == math.floor(n) and math.abs(n) < 2 ^ 53 then
        return int(n)
    end
    return string.format('%.17g', n)
end

-- key order for the objects we must re-encode (properties, documents,
-- bounding boxes, vertices): the order API.md shows, the rest sorted
local key_rank = { top = 1, left = 2, size = 3, width = 4, height = 5,
                   page_count = 6, encrypted = 7, x = 8, y = 9,
                   bounding_box = 10, vertices = 11, file_id = 12 }

local function by_rank(a, b)
    local ra, rb = key_rank[a] or 100, key_rank[b] or 100
    if ra ~= rb then
        return ra < rb
    end
    return a < b
end

-- encodes a decoded value; an empty table is an object unless as_array
local function jval(v, as_array)
    local t = type(v)
    if t == 'userdata' then
        return 'null'
    elseif t == 'string' then
        return jstr(v)
    elseif t == 'number' then
        return jnum(v)
    elseif t == 'boolean' then
        return tostring(v)
    end
    local out = {}
    if as_array or #v > 0 then
        for i = 1, #v do
            out[i] = jval(v[i])
        end
        return '[' .. table.concat(out, ',') .. ']'
    end
    local keys = {}
    for k in pairs(v) do
        keys[#keys + 1] = k
    end
    table.sort(keys, by_rank)
    for i, k in ipairs(keys) do
        out[i] = jstr(k) .. ':' .. jval(v[k])
    end
    return '{' .. table.concat(out, ',') .. '}'
end

local function jids(ids)
    local out = {}
    for i, id in ipairs(ids) do
        out[i] = jstr(id)
    end
    return '[' .. table.concat(out, ',') .. ']'
end

-- a 422 "errors" map that keeps the order in which fields failed
local function errors_new()
    return { keys = {}, msgs = {} }
end

local function errors_add(e, key, msg)
    local list = e.msgs[key]
    if not list then
        list = {}
        e.msgs[key] = list
        e.keys[#e.keys + 1] = key
    end
    for _, m in ipairs(list) do
        if m == msg then
            return
        end
    end
    list[#list + 1] = msg
end

local function errors_json(e)
    local out = {}
    for i, k in ipairs(e.keys) do
        local msgs = {}
        for j, m in ipairs(e.msgs[k]) do
            msgs[j] = jstr(m)
        end
        out[i] = jstr(k) .. ':[' .. table.concat(msgs, ',') .. ']'
    end
    return '{' .. table.concat(out, ',') .. '}'
end

-- UTF-8: count code points, cut only between them
local function utf8_len(s)
    local _, n = s:gsub('[^\128-\191]', '')
    return n
end

local function utf8_head(s, n)
    local count, i = 0, 1
    while i <= #s do
        if count == n then
            return s:sub(1, i - 1)
        end
        local c = s:byte(i)
        i = i + (c >= 0xF0 and 4 or c >= 0xE0 and 3 or c >= 0xC0 and 2 or 1)
        count = count + 1
    end
    return s
end


-- tenants, sequence numbers, expiry, tombstones, events

local function tenant_key(tenant)
    return P .. 'tenant:' .. tenant
end

-- keyhash -> tenant id, or nil when the key is unknown or revoked
local function tenant_of(keyhash)
    if not keyhash or keyhash == '' then
        return nil
    end
    local k = redis.call('HMGET', P .. 'key:' .. keyhash, 'v', 'tenant',
                         'revoked_at')
    if k[1] ~= V or not k[2] or k[3] then
        return nil
    end
    if redis.call('EXISTS', tenant_key(k[2])) == 0 then
        return nil
    end
    return k[2]
end

-- one sequence per tenant for files, tasks and events: lists are ordered by
-- it, so ties and clock skew cannot reorder a page
local function next_seq(tenant)
    return redis.call('HINCRBY', tenant_key(tenant), 'seq', 1)
end

local function expires_at(tenant)
    local days = tonumber(redis.call('HGET', tenant_key(tenant),
                                     'retention_days')) or DEFAULT_RETENTION
    return now + days * DAY_MS
end

local function list_key(tenant, kind)
    return P .. 'list:' .. tenant .. ':' .. kind
end

-- an object enters its tenant's list and the expiry index together
local function index_object(tenant, kind, id, seq, expires)
    redis.call('ZADD', list_key(tenant, kind), seq, id)
    redis.call('ZADD', P .. 'expiry:' .. tenant, expires, id)
end

-- deletion leaves a 7-day tombstone so a `from` pointing at it keeps working
local function remove_object(kind, r)
    redis.call('DEL', P .. kind .. ':' .. r.id)
    redis.call('ZREM', list_key(r.tenant, kind), r.id)
    redis.call('ZREM', P .. 'expiry:' .. r.tenant, r.id)
    redis.call('SET', P .. 'tomb:' .. r.id,
               r.tenant .. ' ' .. kind .. ' ' .. r.seq, 'EX', TOMB_SECONDS)
end

local function tombstone(id)
    local t = redis.call('GET', P .. 'tomb:' .. id)
    if not t then
        return nil
    end
    local tenant, kind, seq = t:match('^(%S+) (%S+) (%S+)$')
    return { tenant = tenant, kind = kind, seq = seq }
end

local function next_event_id()
    while true do
        nevents = nevents + 1
        local id = 'event_' .. redis.sha1hex(seed .. ':' .. nevents):sub(1, 16)
        if redis.call('EXISTS', P .. 'event:' .. id, P .. 'tomb:' .. id) == 0
        then
            return id
        end
    end
end

-- the only writer of events: webhook fan-out will be scheduled from here
local function emit(tenant, etype, data_json)
    local id = next_event_id()
    local seq = next_seq(tenant)
    local expires = expires_at(tenant)
    local json = '{"id":' .. jstr(id) .. ',"type":' .. jstr(etype)
                 .. ',"timestamp":' .. jtime(now) .. ',"data":' .. data_json
                 .. ',"expires_at":' .. jtime(expires) .. '}'
    redis.call('HSET', P .. 'event:' .. id, 'v', V, 'id', id,
               'tenant', tenant, 'seq', seq, 'type', etype, 'json', json,
               'created_at', now, 'expires_at', expires)
    index_object(tenant, 'event', id, seq, expires)
    return id
end


-- files

local function file_json(f, with_created)
    local task = f.task_id ~= '' and jstr(f.task_id) or 'null'
    return '{"id":' .. jstr(f.id) .. ',"name":' .. jstr(f.name)
           .. ',"type":' .. jstr(f.type) .. ',"properties":' .. f.properties
           .. ',"task_id":' .. task
           .. (with_created and (',"created_at":' .. jtime(f.created_at)) or '')
           .. ',"expires_at":' .. jtime(f.expires_at) .. '}'
end

-- registers a File (upload or task output), counts it, emits file.created
local function add_file(tenant, id, name, ftype, props_json, size, path,
                        task_id)
    if redis.call('EXISTS', P .. 'file:' .. id, P .. 'tomb:' .. id) > 0 then
        return redis.error_reply('ERR duplicate file id ' .. id)
    end
    local f = { v = V, id = id, tenant = tenant, seq = next_seq(tenant),
                name = name, type = ftype, properties = props_json,
                size = int(size), path = path, task_id = task_id or '',
                created_at = now, expires_at = expires_at(tenant) }
    redis.call('HSET', P .. 'file:' .. id, 'v', f.v, 'id', id,
               'tenant', tenant, 'seq', f.seq, 'name', name, 'type', ftype,
               'properties', props_json, 'size', f.size, 'path', path,
               'task_id', f.task_id, 'created_at', now,
               'expires_at', f.expires_at)
    index_object(tenant, 'file', id, f.seq, f.expires_at)
    redis.call('HINCRBY', tenant_key(tenant), 'files', 1)
    redis.call('HINCRBY', tenant_key(tenant), 'bytes', size)
    emit(tenant, 'file.created', file_json(f, false))
    return f
end


-- tasks: JSON, inputs

local function task_json(t)
    local cb = (t.callback_url and t.callback_url ~= '')
               and jstr(t.callback_url) or 'null'
    local progress = ''
    if t.status == 'processing' and t.progress and t.progress ~= '' then
        progress = ',"progress":' .. t.progress
    end
    return '{"id":' .. jstr(t.id) .. ',"operation":' .. jstr(t.operation)
           .. ',"status":' .. jstr(t.status)
           .. ',"parameters":' .. t.parameters .. ',"result":' .. t.result
           .. progress .. ',"callback_url":' .. cb
           .. ',"created_at":' .. jtime(t.created_at)
           .. ',"updated_at":' .. jtime(t.updated_at)
           .. ',"expires_at":' .. jtime(t.expires_at) .. '}'
end

local function task_event(t, with_result)
    return '{"id":' .. jstr(t.id) .. ',"operation":' .. jstr(t.operation)
           .. (with_result and (',"result":' .. t.result) or '') .. '}'
end

local function type_list(types)
    return table.concat(types, ', ')
end

-- checks a file against the facts the parameters require (reqs_json);
-- adds each problem to errs under the API.md field it belongs to
local function check_file(errs, key, f, reqs)
    local ok_type = false
    for _, t in ipairs(reqs.types or {}) do
        if t == f.type then
            ok_type = true
        end
    end
    if not ok_type then
        errors_add(errs, key, 'The file ' .. f.id .. ' is of type ' .. f.type
                   .. '; this operation accepts ' .. type_list(reqs.types)
                   .. '.')
        return
    end
    local props = cjson.decode(f.properties)
    local max_page = tonumber(reqs.max_page) or 0
    local pages = props.page_count
    if max_page > 0 and type(pages) == 'number' and max_page > pages then
        -- an encrypted PDF with page_count null is checked when it runs
        errors_add(errs, 'pages', 'Page ' .. int(max_page)
                   .. ' is beyond the last page of ' .. f.id .. ' ('
                   .. int(pages) .. ' pages).')
    end
    local max_x, max_y = tonumber(reqs.max_x) or -1, tonumber(reqs.max_y) or -1
    local w, h = props.width, props.height
    if max_x >= 0 and type(w) == 'number' and type(h) == 'number'
       and (max_x > w - 1 or max_y > h - 1) then
        errors_add(errs, 'vertices', 'Vertices must lie within the image '
                   .. f.id .. ': 0 <= x <= ' .. int(w - 1) .. ', 0 <= y <= '
                   .. int(h - 1) .. '.')
    end
end

-- the files a completed task hands to a child (API.md "input as a task id"),
-- or nil and the reason it cannot be used
local function task_outputs(parent, multi)
    local ids = cjson.decode(parent.outputs or '[]')
    if #ids == 0 then
        return nil, 'The task ' .. parent.id .. ' generated no files.'
    end
    if #ids > 1 and not multi then
        return nil, 'The task ' .. parent.id .. ' generated ' .. #ids
                    .. ' files; only merge accepts a task with several files.'
    end
    local files = {}
    for i, id in ipairs(ids) do
        files[i] = owned('file', parent.tenant, id)
        if not files[i] then
            return nil, 'The file ' .. id .. ' generated by task '
                        .. parent.id .. ' was deleted.'
        end
    end
    return files
end

--[[
Resolves a task's inputs into files, applying every usability rule.  Returns
a table: files (file records, in order), parents (unfinished input tasks),
depth (the new task's chain depth), errs (422 map), bad (the input of the
first error), missing (first input that does not exist, for the 404 that
precedes every 422).
]]
local function resolve(tenant, inputs, reqs)
    local res = { files = {}, parents = {}, depth = 0, errs = errors_new() }
    local multi = reqs.multi == true
    for i, id in ipairs(inputs) do
        local key = multi and ('input[' .. (i - 1) .. ']') or 'input'
        local had_errors = #res.errs.keys > 0
        local kind = kind_of(id)
        local r = (kind == 'file' or kind == 'task') and owned(kind, tenant, id)
        if not r then
            local tomb = kind == 'task' and tombstone(id)
            if tomb and tomb.tenant == tenant then
                errors_add(res.errs, key, 'The task ' .. id
                           .. ' was deleted.')
            elseif not res.missing then
                res.missing = id
            end
        elseif kind == 'file' then
            check_file(res.errs, key, r, reqs)
            res.files[#res.files + 1] = r
        elseif r.status == 'completed' then
            local files, why = task_outputs(r, multi)
            if not files then
                errors_add(res.errs, key, why)
            else
                for _, f in ipairs(files) do
                    check_file(res.errs, key, f, reqs)
                    res.files[#res.files + 1] = f
                end
            end
        elseif r.status == 'failed' then
            errors_add(res.errs, key, 'The task ' .. id .. ' failed.')
        elseif not res.parents[id] then
            -- a merge may name the same unfinished task twice: wait once
            res.parents[id] = true
            res.parents[#res.parents + 1] = id
            local d = (tonumber(r.depth) or 0) + 1
            if d > res.depth then
                res.depth = d
            end
        end
        if not had_errors and #res.errs.keys > 0 then
            res.bad = id
        end
    end
    if res.depth >= MAX_DEPTH then
        errors_add(res.errs, 'input',
                   'Task chains are at most ' .. MAX_DEPTH .. ' deep.')
    end
    return res
end


-- tasks: queue, admission, settling

local function task_key(id)
    return P .. 'task:' .. id
end

local function set_task(t, ...)
    local args = { ... }
    for i = 1, #args, 2 do
        t[args[i]] = args[i + 1]
    end
    redis.call('HSET', task_key(t.id), ...)
end

local function nogroup(r)
    if type(r) == 'table' and r.err then
        if not r.err:find('^NOGROUP') then
            error(r.err)
        end
        return true
    end
    return false
end

--[[
The group is created when a command finds it missing (the first claim, or
after the stream was flushed or deleted), not on every call: claims poll.
It starts at 0, so entries added while there was no group are delivered.
XADD needs no group, so enqueue never creates it.
]]
local function group_call(...)
    local r = redis.pcall(...)
    if nogroup(r) then
        local ok = redis.pcall('XGROUP', 'CREATE', QUEUE, GROUP, '0',
                               'MKSTREAM')
        if type(ok) == 'table' and ok.err and not ok.err:find('BUSYGROUP')
        then
            error(ok.err)
        end
        r = redis.call(...)
    end
    return r
end

-- entries leave the stream only this way (never trimmed)
local function drop_entry(entry)
    redis.call('XACK', QUEUE, GROUP, entry)
    redis.call('XDEL', QUEUE, entry)
    redis.call('HDEL', P .. 'entries', entry)
end

-- sd1:entries maps a stream entry back to its task, for the entries that
-- XAUTOCLAIM reports as deleted (see requeue_deleted)
local function enqueue(t)
    local entry = redis.call('XADD', QUEUE, '*', 'task', t.id)
    redis.call('HSET', P .. 'entries', entry, t.id)
    set_task(t, 'stage', 'queued', 'entry', entry)
    redis.call('HINCRBY', tenant_key(t.tenant), 'active', 1)
end

--[[
XAUTOCLAIM's third element: pending entries whose content is gone (XDEL or
XTRIM by something other than this library).  Redis drops them from the
PEL; a task still pointing at one would never run again, so it gets a new
entry.  Its running attempt, if any, is lost at its next heartbeat; the
re-entry costs no crash.
]]
local function requeue_deleted(entries)
    for _, entry in ipairs(entries) do
        local id = redis.call('HGET', P .. 'entries', entry)
        redis.call('HDEL', P .. 'entries', entry)
        local t = id and rec(task_key(id))
        if t and t.entry == entry
           and (t.stage == 'queued' or t.stage == 'running') then
            redis.call('HINCRBY', tenant_key(t.tenant), 'active', -1)
            enqueue(t)
            set_task(t, 'owner', '', 'released', '1')
        end
    end
end

-- moves the tenant's backlog into the stream while it is under its limit;
-- one stream then behaves like a round robin over tenants
local function promote_backlog(tenant)
    local tk = tenant_key(tenant)
    local limit = tonumber(redis.call('HGET', tk, 'active_limit'))
                  or DEFAULT_ACTIVE_LIMIT
    while (tonumber(redis.call('HGET', tk, 'active')) or 0) < limit do
        local id = redis.call('LPOP', P .. 'backlog:' .. tenant)
        if not id then
            return
        end
        local t = rec(task_key(id))
        if t and t.stage == 'backlog' then
            enqueue(t)
        end
    end
end

-- a task with concrete inputs joins the tenant's backlog, in FIFO order
local function admit(t, files)
    local ids = {}
    for i, f in ipairs(files) do
        ids[i] = f.id
    end
    set_task(t, 'stage', 'backlog', 'files', jids(ids),
             'input_name', files[1] and files[1].name or '')
    redis.call('RPUSH', P .. 'backlog:' .. t.tenant, t.id)
    promote_backlog(t.tenant)
end

-- takes the task out of wherever it waits or runs
local function unqueue(t)
    if t.stage == 'queued' or t.stage == 'running' then
        drop_entry(t.entry)
        redis.call('HINCRBY', tenant_key(t.tenant), 'active', -1)
    elseif t.stage == 'backlog' then
        redis.call('LREM', P .. 'backlog:' .. t.tenant, 0, t.id)
    end
    -- a waiting task stays in its parents' waiting sets: they skip it
end

local settle

local function failure(msg, code, details)
    return '{"error":' .. jstr(msg) .. ',"details":{"code":' .. jstr(code)
           .. (details or '') .. '}}'
end

local function fail_task(t, msg, code, details)
    settle(t, 'failed', failure(msg, code, details))
end

-- the task's deadline passed, wherever that was noticed (claim or worker):
-- the same result either way; limit_ms is the limit the deadline was set with
local function fail_timeout(t)
    fail_task(t, 'The task did not finish within its time limit.', 'timeout',
              t.limit_ms and (',"limit_ms":' .. t.limit_ms) or nil)
end

-- why: a sentence naming the problem with input `id`
local function fail_input(t, id, why)
    fail_task(t, why, 'input_failed', ',"input":' .. jstr(id))
end

local function first_error(errs)
    local k = errs.keys[1]
    return k and errs.msgs[k][1]
end

-- a parked task whose parents have all finished: the task-input rules are
-- applied again now that the parents' outputs are known
local function wake(t)
    local res = resolve(t.tenant, cjson.decode(t.inputs), cjson.decode(t.reqs))
    if res.missing then
        fail_task(t, 'The input ' .. res.missing .. ' no longer exists.',
                  'input_not_found', ',"input":' .. jstr(res.missing))
    elseif #res.errs.keys > 0 then
        fail_input(t, res.bad or cjson.decode(t.inputs)[1],
                   first_error(res.errs))
    elseif #res.parents > 0 then
        -- cannot happen (parents only finish), but never lose the task
        set_task(t, 'wait', #res.parents)
        for _, p in ipairs(res.parents) do
            redis.call('ZADD', P .. 'waiting:' .. p, t.seq, t.id)
        end
    else
        admit(t, res.files)
    end
end

-- the parent finished: its children go on or fail with input_failed
local function wake_children(parent)
    local key = P .. 'waiting:' .. parent.id
    local kids = redis.call('ZRANGE', key, 0, -1)
    redis.call('DEL', key)
    for _, id in ipairs(kids) do
        local c = rec(task_key(id))
        if c and c.stage == 'waiting' then
            if parent.status ~= 'completed' then
                fail_input(c, parent.id, 'The input task ' .. parent.id
                           .. ' failed.')
            elseif redis.call('HINCRBY', task_key(id), 'wait', -1) <= 0 then
                wake(c)
            end
        end
    end
end

-- the one way a task finishes: a finished task never changes again
settle = function(t, status, result_json)
    -- who finished it, so that a report retried after a lost reply is
    -- recognized as already done (see reported_before)
    local by = t.stage == 'running' and (t.owner .. ' ' .. t.attempt) or ''
    unqueue(t)
    set_task(t, 'status', status, 'result', result_json, 'stage', 'done',
             'owner', '', 'updated_at', now, 'finished_by', by)
    emit(t.tenant, status == 'completed' and 'task.completed' or 'task.failed',
         task_event(t, true))
    wake_children(t)
    promote_backlog(t.tenant)
end


-- API functions: each gets the tenant of its key (argument 1); the
-- authenticated() wrapper at registration answers 401 for any other key

local function api_auth(tenant, a)
    return { 200, tenant, tenant }
end

-- args: keyhash, file_id, name, type, properties_json, path_rel, seed
local function api_upload_file(tenant, a)
    begin(a[7], a[2])
    local again = owned('file', tenant, a[2])
    if again and again.path == a[6] then
        return { 201, file_json(again, true) }  -- a retry after a lost reply
    end
    local props = cjson.decode(a[5])
    local f = add_file(tenant, a[2], a[3], a[4], a[5],
                       tonumber(props.size) or 0, a[6], '')
    if not f.id then
        return f
    end
    return { 201, file_json(f, true) }
end

local function api_get_file(tenant, a)
    local f = owned('file', tenant, a[2])
    if not f then
        return not_found('file', a[2])
    end
    return { 200, file_json(f, true), f.path, f.type, f.name,
             tonumber(f.size) }
end

-- args: keyhash, file_id, seed; the record goes first, C unlinks the bytes
local function api_delete_file(tenant, a)
    begin(a[3], a[2])
    local f = owned('file', tenant, a[2])
    if not f then
        return not_found('file', a[2])
    end
    remove_object('file', f)
    redis.call('HINCRBY', tenant_key(tenant), 'files', -1)
    redis.call('HINCRBY', tenant_key(tenant), 'bytes', -tonumber(f.size))
    emit(tenant, 'file.deleted', '{"id":' .. jstr(f.id) .. ',"name":'
         .. jstr(f.name) .. ',"type":' .. jstr(f.type) .. '}')
    return { 204, '', f.path }
end

local function api_get_task(tenant, a)
    local t = owned('task', tenant, a[2])
    if not t then
        return not_found('task', a[2])
    end
    return { 200, task_json(t) }
end

local list_kinds = { files = 'file', tasks = 'task', events = 'event' }

local function item_json(kind, id)
    local r = rec(P .. kind .. ':' .. id)
    if not r then
        return nil
    end
    if kind == 'file' then
        return file_json(r, true)
    elseif kind == 'task' then
        return task_json(r)
    end
    return r.json
end

-- the sequence number a `from` id stands for, alive or tombstoned
local function from_seq(tenant, kind, from)
    local r = owned(kind, tenant, from)
    if r then
        return tonumber(r.seq)
    end
    local tomb = tombstone(from)
    if tomb and tomb.tenant == tenant and tomb.kind == kind then
        return tonumber(tomb.seq)
    end
    return nil
end

-- args: keyhash, what, take, from, base (API.md "Pagination")
local function api_list(tenant, a)
    local what, take, from, base = a[2], tonumber(a[3]), a[4] or '', a[5] or ''
    local kind = list_kinds[what]
    if not kind then
        return redis.error_reply('ERR unknown list ' .. tostring(what))
    end
    local errs = errors_new()
    if not take or take ~= math.floor(take) or take < 1 or take > 100 then
        errors_add(errs, 'take', 'take must be an integer between 1 and 100.')
    end
    local start = '+inf'
    if from ~= '' then
        local seq = from_seq(tenant, kind, from)
        if not seq then
            errors_add(errs, 'from', 'from must be the id of an item of this '
                       .. 'list.')
        else
            start = seq
        end
    end
    if #errs.keys > 0 then
        return { 422, errors_json(errs) }
    end
    local lk = list_key(tenant, kind)
    local ids = redis.call('ZREVRANGEBYSCORE', lk, start, '-inf', 'LIMIT', 0,
                           take + 1)
    local data = {}
    for i = 1, math.min(take, #ids) do
        data[#data + 1] = item_json(kind, ids[i])
    end
    local function link(id, n)
        return jstr(base .. '/' .. what .. '?take=' .. int(n) .. '&from='
                    .. id)
    end
    local next_link = ids[take + 1] and link(ids[take + 1], take) or 'null'
    -- previous: the (at most) `take` items just newer than `from`, oldest
    -- first; it starts at the last of them and takes only as many, so it
    -- never overlaps this page (fewer than `take` newer: from the newest,
    -- take = how many there are)
    local prev_link = 'null'
    if start ~= '+inf' then
        local newer = redis.call('ZRANGEBYSCORE', lk, '(' .. int(start),
                                 '+inf', 'LIMIT', 0, take)
        if #newer > 0 then
            prev_link = link(newer[#newer], #newer)
        end
    end
    return { 200, '{"data":[' .. table.concat(data, ',') .. '],"links":'
                  .. '{"previous":' .. prev_link .. ',"next":' .. next_link
                  .. '}}' }
end

--[[
args: keyhash, task_id, operation, params_json, callback_url_or_"",
      inputs_json, reqs_json, active_limit, seed
API.md "Order of checks" from the 404 on; admission by the tenant's active
limit (the backlog); tasks on unfinished inputs park in sd1:waiting:<parent>.
]]
local function api_create_task(tenant, a)
    local id, op, params, cb = a[2], a[3], a[4], a[5] or ''
    local inputs, reqs = cjson.decode(a[6]), cjson.decode(a[7])
    begin(a[9], id)
    local again = owned('task', tenant, id)
    if again and again.operation == op and again.parameters == params then
        return { 202, task_json(again) }        -- a retry after a lost reply
    end
    if redis.call('EXISTS', task_key(id), P .. 'tomb:' .. id) > 0 then
        return redis.error_reply('ERR duplicate task id ' .. id)
    end
    local res = resolve(tenant, inputs, reqs)
    if res.missing then
        return not_found(kind_of(res.missing), res.missing)
    end
    if #res.errs.keys > 0 then
        return { 422, errors_json(res.errs) }
    end
    local limit = tonumber(a[8])
    if limit and limit > 0 then
        redis.call('HSET', tenant_key(tenant), 'active_limit', int(limit))
    end
    local p = cjson.decode(params)
    local name = type(p.name) == 'string' and p.name or ''
    local seq = next_seq(tenant)
    local t = { v = V, id = id, tenant = tenant, seq = seq, operation = op,
                status = 'pending', parameters = params, result = '{}',
                callback_url = cb, name = name, inputs = a[6], reqs = a[7],
                depth = res.depth, attempt = 0, crashes = 0,
                created_at = now, updated_at = now,
                expires_at = expires_at(tenant), stage = 'new' }
    local fields = {}
    for k, v in pairs(t) do
        fields[#fields + 1] = k
        fields[#fields + 1] = v
    end
    redis.call('HSET', task_key(id), unpack(fields))
    index_object(tenant, 'task', id, seq, t.expires_at)
    emit(tenant, 'task.created', task_event(t, false))
    if #res.parents > 0 then
        set_task(t, 'stage', 'waiting', 'wait', #res.parents)
        for _, parent in ipairs(res.parents) do
            redis.call('ZADD', P .. 'waiting:' .. parent, seq, id)
        end
    else
        admit(t, res.files)
    end
    return { 202, task_json(t) }
end

--[[
args: keyhash, task_id, seed.  An unfinished task is cancelled first (failed
with code cancelled; its running attempt learns it at its next heartbeat);
then task.deleted.  Its generated files stay.
]]
local function api_delete_task(tenant, a)
    begin(a[3], a[2])
    local t = owned('task', tenant, a[2])
    if not t then
        return not_found('task', a[2])
    end
    if t.status ~= 'completed' and t.status ~= 'failed' then
        fail_task(t, 'The task was cancelled.', 'cancelled')
    end
    emit(tenant, 'task.deleted', task_event(t, false))
    remove_object('task', t)
    return { 204, '' }
end


-- worker functions

-- owner and attempt still match: the fencing token of DESIGN.md
local function fenced(t, consumer, attempt)
    return t and t.stage == 'running' and t.owner == consumer
           and t.attempt == attempt
end

-- the same attempt already finished the task: C retries a report whose reply
-- was lost, and a 409 would make it drop outputs that are registered now
local function reported_before(t, consumer, attempt, status)
    return t and t.stage == 'done' and t.status == status
           and t.finished_by == consumer .. ' ' .. attempt
end

local function job_json(t, files, timeout_ms)
    local inputs = {}
    for i, f in ipairs(files) do
        inputs[i] = '{"id":' .. jstr(f.id) .. ',"path":' .. jstr(f.path)
                    .. ',"type":' .. jstr(f.type) .. ',"name":' .. jstr(f.name)
                    .. ',"properties":' .. f.properties .. '}'
    end
    return '{"task_id":' .. jstr(t.id) .. ',"attempt":' .. t.attempt
           .. ',"tenant":' .. jstr(t.tenant) .. ',"operation":'
           .. jstr(t.operation) .. ',"parameters":' .. t.parameters
           .. ',"timeout_ms":' .. int(timeout_ms) .. ',"inputs":['
           .. table.concat(inputs, ',') .. ']}'
end

--[[
start(): the entry is now ours (XREADGROUP or XAUTOCLAIM).  Returns the job,
or nil when the task is gone/finished (entry dropped) or fails here (crash
budget spent, deadline past, an input file deleted meanwhile).
]]
local function start(entry, fields, consumer, reclaimed, o)
    local id
    for i = 1, #fields, 2 do
        if fields[i] == 'task' then
            id = fields[i + 1]
        end
    end
    local t = id and rec(task_key(id))
    if not t or t.entry ~= entry
       or (t.stage ~= 'queued' and t.stage ~= 'running') then
        drop_entry(entry)
        return nil
    end
    set_task(t, 'lease', o.lease, 'max_attempts', o.max_attempts)
    if reclaimed then
        if t.released == '1' then
            set_task(t, 'released', '0')      -- handed back: costs nothing
        elseif t.stage == 'running' then
            set_task(t, 'crashes', int(tonumber(t.crashes) + 1))
        end
    end
    if tonumber(t.crashes) >= o.max_attempts then
        fail_task(t, 'The engine crashed while processing the task.',
                  'internal', ',"reason":"engine_crashed","attempts":'
                  .. t.attempt)
        return nil
    end
    if not t.deadline then
        set_task(t, 'deadline', int(now + o.timeout), 'limit_ms',
                 int(o.timeout))
    elseif not t.limit_ms then
        set_task(t, 'limit_ms', int(o.timeout))   -- started by an older library
    end
    local deadline = tonumber(t.deadline)
    if now >= deadline then
        fail_timeout(t)
        return nil
    end
    local files = {}
    for i, fid in ipairs(cjson.decode(t.files or '[]')) do
        files[i] = owned('file', t.tenant, fid)
        if not files[i] then
            fail_task(t, 'The input file ' .. fid .. ' no longer exists.',
                      'input_not_found', ',"input":' .. jstr(fid))
            return nil
        end
    end
    local attempt = redis.call('HINCRBY', task_key(t.id), 'attempt', 1)
    set_task(t, 'attempt', int(attempt), 'stage', 'running',
             'owner', consumer, 'released', '0')
    if t.status == 'pending' then
        -- a retried attempt is invisible: updated_at moves with status only
        set_task(t, 'status', 'processing', 'updated_at', now)
    end
    return job_json(t, files, deadline - now)
end

--[[
args: consumer, n, lease_ms, task_timeout_ms, max_attempts, seed
reply: { count, job_json... }
]]
local function w_claim(keys, a)
    local consumer, n = a[1], tonumber(a[2]) or 0
    local o = { lease = tonumber(a[3]), timeout = tonumber(a[4]),
                max_attempts = tonumber(a[5]) or 3 }
    begin(a[6], consumer)
    local jobs = {}
    if n <= 0 then
        return { 0 }
    end
    -- expired leases first; the cursor walks the PEL across calls
    local cursor = redis.call('GET', P .. 'reclaim') or '0-0'
    local r = group_call('XAUTOCLAIM', QUEUE, GROUP, consumer, o.lease,
                         cursor, 'COUNT', n)
    if r[1] ~= cursor then
        redis.call('SET', P .. 'reclaim', r[1])  -- idle polls write nothing
    end
    for _, e in ipairs(r[2]) do
        jobs[#jobs + 1] = start(e[1], e[2], consumer, true, o)
    end
    requeue_deleted(r[3] or {})
    for _ = 1, 4 do
        if #jobs >= n then
            break
        end
        local rr = redis.call('XREADGROUP', 'GROUP', GROUP, consumer,
                              'COUNT', n - #jobs, 'STREAMS', QUEUE, '>')
        if not rr then
            break
        end
        for _, e in ipairs(rr[1][2]) do
            jobs[#jobs + 1] = start(e[1], e[2], consumer, false, o)
        end
    end
    return { #jobs, unpack(jobs) }
end

--[[
args: consumer, lease_ms, progress_json, task_id, attempt, ...
reply: { n, lost_task_id... }: cancelled, deleted or reclaimed by another owner
]]
local function w_heartbeat(keys, a)
    local consumer = a[1]
    local progress = {}
    if a[3] and a[3] ~= '' then
        progress = cjson.decode(a[3])
    end
    local lost = {}
    for i = 4, #a - 1, 2 do
        local t = rec(task_key(a[i]))
        local ok = fenced(t, consumer, a[i + 1])
        if ok then
            ok = #redis.call('XCLAIM', QUEUE, GROUP, consumer, 0, t.entry,
                             'JUSTID') > 0
        end
        if not ok then
            lost[#lost + 1] = a[i]
        elseif type(progress[a[i]]) == 'table' then
            local p = progress[a[i]]
            set_task(t, 'progress', '{"done":' .. jnum(tonumber(p.done) or 0)
                     .. ',"total":' .. jnum(tonumber(p.total) or 0) .. '}')
        end
    end
    return { #lost, unpack(lost) }
end

-- the output's name: API.md "File" (base cut so the whole stays <= 50)
local function output_name(base, k)
    local suffix = '-' .. k
    return utf8_head(base, NAME_MAX - utf8_len(suffix)) .. suffix
end

-- detect-documents: documents[i].output (0-based index into outputs) becomes
-- file_id; written out by hand so that the keys keep API.md's order
local function documents_json(docs, files)
    local out = {}
    for i, d in ipairs(docs) do
        local f = type(d.output) == 'number' and files[d.output + 1]
        out[i] = '{"bounding_box":' .. jval(d.bounding_box or {})
                 .. ',"vertices":' .. jval(d.vertices or {}, true)
                 .. ',"file_id":' .. (f and jstr(f.id) or 'null') .. '}'
    end
    return '{"documents":[' .. table.concat(out, ',') .. ']}'
end

local function result_with_files(result_json, files)
    local result = cjson.decode(result_json)
    if type(result) == 'table' and type(result.documents) == 'table' then
        return documents_json(result.documents, files)
    end
    if #files == 0 and (type(result) ~= 'table'
                        or result.generated_files == nil) then
        return result_json          -- extract-text & co: verbatim
    end
    local list = {}
    for i, f in ipairs(files) do
        list[i] = file_json(f, true)
    end
    return '{"generated_files":[' .. table.concat(list, ',') .. ']}'
end

--[[
args: consumer, task_id, attempt, result_json, outputs_json, seed
reply: {200} or {409} (stale: nothing written, C deletes the outputs)
]]
local function w_finish(keys, a)
    local consumer, id, attempt = a[1], a[2], a[3]
    begin(a[6], id)
    local t = rec(task_key(id))
    if reported_before(t, consumer, attempt, 'completed') then
        return { 200 }
    end
    if not fenced(t, consumer, attempt) then
        return { 409 }
    end
    local outputs = cjson.decode(a[5])
    local base = t.name ~= '' and t.name or t.input_name
    if not base or base == '' then
        base = t.operation
    end
    local files, ids = {}, {}
    for k, o in ipairs(outputs) do
        local name = base
        if #outputs > 1 then
            local suffix = o.suffix
            name = output_name(base, type(suffix) == 'number'
                                     and jnum(suffix) or int(k))
        end
        local props = type(o.properties) == 'table' and o.properties or {}
        local f = add_file(t.tenant, o.id, name, o.type, jval(props),
                           tonumber(props.size) or 0, o.path, id)
        if not f.id then
            return f
        end
        files[k], ids[k] = f, f.id
    end
    set_task(t, 'outputs', jids(ids))
    settle(t, 'completed', result_with_files(a[4], files))
    return { 200 }
end

--[[
The entry goes back to the stream for another attempt on any host: it moves
to the pending list of HANDED_BACK (no worker's name) with an idle time of a
whole lease, so the next XAUTOCLAIM of any consumer takes it at once, and
the consumer that handed it back has nothing pending (sd1_retire).
]]
local HANDED_BACK = 'sd1:handed-back'

local function hand_back(t, consumer)
    redis.call('XCLAIM', QUEUE, GROUP, HANDED_BACK, 0, t.entry,
               'IDLE', tonumber(t.lease) or 0, 'JUSTID')
    set_task(t, 'stage', 'queued', 'owner', '', 'released', '1')
end

--[[
args: consumer, task_id, attempt, error_json, kind (final|timeout|crash), seed
reply: {200} or {409}.  A crash under the task's budget (max_attempts of its
last claim) hands the entry back; error_json is the failure once it is spent.
]]
local function w_fail(keys, a)
    local consumer, id, attempt, err, kind = a[1], a[2], a[3], a[4], a[5]
    begin(a[6], id)
    local t = rec(task_key(id))
    if reported_before(t, consumer, attempt, 'failed') then
        return { 200 }
    end
    if not fenced(t, consumer, attempt) then
        return { 409 }
    end
    if kind == 'crash' then
        local crashes = redis.call('HINCRBY', task_key(id), 'crashes', 1)
        t.crashes = int(crashes)
        if crashes < (tonumber(t.max_attempts) or 3) then
            hand_back(t, consumer)
        elseif err and err ~= '' then
            settle(t, 'failed', err)    -- the caller's words for the crash
        else
            fail_task(t, 'The engine crashed while processing the task.',
                      'internal', ',"reason":"engine_crashed","attempts":'
                      .. t.attempt)
        end
    elseif err and err ~= '' then
        settle(t, 'failed', err)
    elseif kind == 'timeout' then
        fail_timeout(t)
    else
        fail_task(t, 'An unexpected error occurred.', 'internal')
    end
    return { 200 }
end

-- args: consumer, task_id, attempt; hand-back at shutdown costs nothing
local function w_release(keys, a)
    begin(nil, a[2])
    local t = rec(task_key(a[2]))
    if not fenced(t, a[1], a[3]) then
        return { 409 }
    end
    hand_back(t, a[1])
    return { 200 }
end

--[[
args: consumer.  A worker that exits for good forgets its consumer name
(XGROUP DELCONSUMER), which would otherwise stay in the group forever (a
name per worker generation).  Only when it has no pending entry: deleting
a consumer drops its entries from the group, and their tasks would never
run again.  Handed-back entries are not its own any more (hand_back).
reply: {200} (deleted, or nothing to delete) or {409} (pending entries).
]]
local function w_retire(keys, a)
    local consumer = a[1] or ''
    local r = redis.pcall('XPENDING', QUEUE, GROUP, '-', '+', 1, consumer)
    if nogroup(r) then
        return { 200 }
    end
    if #r > 0 then
        return { 409 }
    end
    redis.call('XGROUP', 'DELCONSUMER', QUEUE, GROUP, consumer)
    return { 200 }
end


-- admin functions (tools/scandoc-admin)

local function tenant_json(t, with_secret)
    return '{"id":' .. jstr(t.id) .. ',"name":' .. jstr(t.name)
           .. ',"retention_days":' .. t.retention_days
           .. ',"files":' .. (t.files or '0') .. ',"bytes":' .. (t.bytes or '0')
           .. ',"active":' .. (t.active or '0')
           .. (with_secret and (',"callback_secret":' .. jstr(t.secret)) or '')
           .. ',"created_at":' .. jtime(t.created_at) .. '}'
end

-- args: name, retention_days, tenant_id, secret
local function admin_tenant_create(keys, a)
    begin(nil, a[3])
    local name, days, id, secret = a[1], tonumber(a[2]), a[3], a[4]
    if not name or name == '' or not id or not id:match('^[%w_]+$')
       or not secret or not secret:match('^whsec_') then
        return { 422, '{"tenant":["name, id and a whsec_ secret are '
                      .. 'required."]}' }
    end
    if not days or days < 1 or days ~= math.floor(days) then
        return { 422, '{"retention_days":["must be a positive integer."]}' }
    end
    if redis.call('EXISTS', tenant_key(id)) == 1 then
        return { 409, 'Tenant ' .. id .. ' exists already.' }
    end
    local t = { id = id, name = name, retention_days = int(days),
                secret = secret, created_at = now }
    redis.call('HSET', tenant_key(id), 'v', V, 'id', id, 'name', name,
               'retention_days', t.retention_days, 'secret', secret,
               'seq', 0, 'files', 0, 'bytes', 0, 'active', 0,
               'created_at', now)
    redis.call('ZADD', P .. 'tenants', now, id)
    return { 200, tenant_json(t, true) }
end

local function admin_tenant_list(keys, a)
    local out = {}
    for _, id in ipairs(redis.call('ZRANGE', P .. 'tenants', 0, -1)) do
        local t = rec(tenant_key(id))
        if t then
            out[#out + 1] = tenant_json(t, false)
        end
    end
    return { 200, '[' .. table.concat(out, ',') .. ']' }
end

local function admin_tenant_show(keys, a)
    local t = rec(tenant_key(a[1] or ''))
    if not t then
        return { 404, 'Tenant ' .. tostring(a[1]) .. ' not found.' }
    end
    return { 200, tenant_json(t, true) }
end

-- args: tenant_id, keyhash, label
local function admin_key_create(keys, a)
    begin(nil, a[2])
    local tenant, hash, label = a[1], a[2], a[3] or ''
    if not rec(tenant_key(tenant or '')) then
        return { 404, 'Tenant ' .. tostring(tenant) .. ' not found.' }
    end
    if not hash or not hash:match('^' .. string.rep('%x', 64) .. '$') then
        return { 422, '{"keyhash":["must be 64 hex digits."]}' }
    end
    hash = hash:lower()
    if redis.call('EXISTS', P .. 'key:' .. hash) == 1 then
        return { 409, 'That key exists already.' }
    end
    redis.call('HSET', P .. 'key:' .. hash, 'v', V, 'tenant', tenant,
               'label', label, 'created_at', now)
    redis.call('SADD', P .. 'keys', hash)
    redis.call('SADD', P .. 'keys:' .. tenant, hash)
    return { 200 }
end

-- args: keyhash_prefix (>= 8 hex digits, must match exactly one key)
local function admin_key_revoke(keys, a)
    begin(nil, a[1])
    local prefix = (a[1] or ''):lower()
    if not prefix:match('^%x+$') or #prefix < 8 then
        return { 422, '{"key":["give the key or at least 8 hex digits of '
                      .. 'its hash."]}' }
    end
    local found = {}
    for _, h in ipairs(redis.call('SMEMBERS', P .. 'keys')) do
        if h:sub(1, #prefix) == prefix then
            found[#found + 1] = h
        end
    end
    if #found == 0 then
        return { 404, 'No key matches ' .. prefix .. '.' }
    elseif #found > 1 then
        return { 409, prefix .. ' matches ' .. #found .. ' keys.' }
    end
    redis.call('HSETNX', P .. 'key:' .. found[1], 'revoked_at', now)
    return { 200, 1 }
end

-- args: tenant_id; reply {200, json array}
local function admin_key_list(keys, a)
    if not rec(tenant_key(a[1] or '')) then
        return { 404, 'Tenant ' .. tostring(a[1]) .. ' not found.' }
    end
    local out = {}
    for _, h in ipairs(redis.call('SMEMBERS', P .. 'keys:' .. a[1])) do
        local k = rec(P .. 'key:' .. h)
        if k then
            out[#out + 1] = { tonumber(k.created_at),
                '{"hash_prefix":' .. jstr(h:sub(1, 12)) .. ',"label":'
                .. jstr(k.label) .. ',"created_at":' .. jtime(k.created_at)
                .. ',"revoked_at":'
                .. (k.revoked_at and jtime(k.revoked_at) or 'null') .. '}' }
        end
    end
    table.sort(out, function(x, y) return x[1] < y[1] end)
    for i, o in ipairs(out) do
        out[i] = o[2]
    end
    return { 200, '[' .. table.concat(out, ',') .. ']' }
end


-- registration

-- every API call resolves its key first, in the same atomic call, so a
-- revoked key fails at once
local function authenticated(fn)
    return function(keys, a)
        local tenant = tenant_of(a[1])
        if not tenant then
            return { 401, '' }
        end
        return fn(tenant, a)
    end
end

local function register(name, fn, read_only)
    redis.register_function{
        function_name = 'sd1_' .. name,
        callback = fn,
        flags = read_only and { 'no-writes' } or nil,
    }
end

register('auth', authenticated(api_auth), true)
register('upload_file', authenticated(api_upload_file))
register('get_file', authenticated(api_get_file), true)
register('delete_file', authenticated(api_delete_file))
register('list', authenticated(api_list), true)
register('get_task', authenticated(api_get_task), true)
register('delete_task', authenticated(api_delete_task))
register('create_task', authenticated(api_create_task))
register('claim', w_claim)
register('heartbeat', w_heartbeat)
register('finish', w_finish)
register('fail', w_fail)
register('release', w_release)
register('retire', w_retire)
register('admin_tenant_create', admin_tenant_create)
register('admin_tenant_list', admin_tenant_list, true)
register('admin_tenant_show', admin_tenant_show, true)
register('admin_key_create', admin_key_create)
register('admin_key_revoke', admin_key_revoke)
register('admin_key_list', admin_key_list, true)
