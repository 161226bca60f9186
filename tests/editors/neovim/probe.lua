-- Drives gitops-ls through the client that the user's init (the docs' snippet,
-- loaded with -u) starts, and writes what it observed as JSON; tests/editors/check.py
-- judges it. Loaded with --cmd, before the init: it wraps vim.lsp.start_client to
-- watch the client the snippet starts, then runs at VimEnter.
-- Env: PROBE_FIXTURE (manifest), PROBE_OUT (JSON file); gitops-ls comes from PATH.
local fixture = assert(os.getenv('PROBE_FIXTURE'), 'PROBE_FIXTURE is not set')
local out_path = assert(os.getenv('PROBE_OUT'), 'PROBE_OUT is not set')
local TIMEOUT = tonumber(os.getenv('PROBE_TIMEOUT_MS') or '10000')

local v = vim.version()
local obs = { editor = string.format('neovim %d.%d.%d', v.major, v.minor, v.patch), errors = {} }
local published = {} -- every publishDiagnostics for our document, in order

local function finish()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.json.encode(obs))
  f:close()
  vim.cmd('qall!')
end

local function fail(msg)
  table.insert(obs.errors, msg)
  finish()
end

local uri = vim.uri_from_fname(vim.fn.fnamemodify(fixture, ':p'))
local started = {} -- every client the init started: { id = …, config = … }

-- Adds observers to the config the init passes; its cmd, settings and root stay.
local start_client = vim.lsp.start_client
vim.lsp.start_client = function(config)
  local watched = vim.tbl_extend('force', config, {
    -- Send each edit at once so the test sees one didChange per keystroke batch.
    flags = vim.tbl_extend('force', config.flags or {}, { debounce_text_changes = 0 }),
    on_exit = function(code, signal, ...)
      obs.exit = { code = code, signal = signal }
      if config.on_exit then return config.on_exit(code, signal, ...) end
    end,
    on_init = function(client, result)
      obs.initialize = { serverInfo = result.serverInfo, capabilities = result.capabilities }
      if config.on_init then return config.on_init(client, result) end
    end,
    handlers = vim.tbl_extend('force', config.handlers or {}, {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, cfg)
        if result and result.uri == uri then table.insert(published, result) end
        local inner = (config.handlers or {})['textDocument/publishDiagnostics'] or vim.lsp.handlers['textDocument/publishDiagnostics']
        return inner(err, result, ctx, cfg)
      end,
    }),
  })
  local id = start_client(watched)
  table.insert(started, { id = id, config = config })
  return id
end

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(fixture))
  local buf = vim.api.nvim_get_current_buf()
  obs.filetype = vim.bo[buf].filetype
  if obs.filetype ~= 'yaml' then return fail('filetype is "' .. obs.filetype .. '", not yaml: filetype detection is off') end
  if #started ~= 1 or not started[1].id then
    return fail('the init started ' .. #started .. ' clients for a YAML buffer (expected 1 with an id)')
  end
  obs.cmd = started[1].config.cmd
  local client_id = started[1].id
  local client = vim.lsp.get_client_by_id(client_id)
  if not vim.wait(TIMEOUT, function() return vim.lsp.buf_is_attached(buf, client_id) end, 20) then
    return fail('the init did not attach its client to the YAML buffer')
  end

  if not vim.wait(TIMEOUT, function() return client.initialized or obs.exit ~= nil end, 20) or not client.initialized then
    return fail(obs.exit and ("server exited with code " .. obs.exit.code .. " before initialize") or ("server did not finish initialize within " .. TIMEOUT .. " ms"))
  end

  -- Waits for a publish after the `seen`-th one that satisfies `pred`; returns the last one's diagnostics.
  local function diagnostics_after(seen, pred)
    vim.wait(TIMEOUT, function()
      local last = published[#published]
      return #published > seen and pred(last.diagnostics)
    end, 20)
    local last = published[#published]
    return last and #published > seen and last.diagnostics or vim.NIL
  end

  local function has_duplicate_on(line)
    return function(diags)
      for _, d in ipairs(diags) do
        if d.range.start.line == line and d.message:lower():find('duplicate') then return true end
      end
      return false
    end
  end

  obs.diagnostics_initial = diagnostics_after(0, function() return true end)

  -- Copy line 8 (`  replicas: 2`) below itself and change the value: incremental
  -- changes that make a duplicate key on line 9 (0-based 8).
  local seen = #published
  vim.cmd('normal! 8Gyyp')
  vim.cmd('normal! $r3')
  obs.diagnostics_after_edit = diagnostics_after(seen, has_duplicate_on(8))
  obs.buffer_after_edit = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'

  -- Undo it: the duplicate must go away.
  seen = #published
  vim.cmd('normal! u')
  vim.cmd('normal! u')
  obs.diagnostics_after_undo = diagnostics_after(seen, function(d) return not has_duplicate_on(8)(d) end)
  obs.buffer_after_undo = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'

  local function request(method, params)
    local resp, err = client.request_sync(method, params, TIMEOUT, buf)
    if not resp then
      table.insert(obs.errors, method .. ': ' .. tostring(err))
      return vim.NIL
    end
    if resp.err then return { error = resp.err } end
    return resp.result == nil and vim.NIL or resp.result
  end

  local doc = { uri = uri }
  obs.symbols = request('textDocument/documentSymbol', { textDocument = doc })
  obs.folding = request('textDocument/foldingRange', { textDocument = doc })
  -- `replicas` on line 8 (0-based 7).
  obs.hover = request('textDocument/hover', { textDocument = doc, position = { line = 7, character = 4 } })

  -- A new line holding just the indentation of `spec:`'s keys (copy line 8, delete
  -- from the first non-blank on); complete there.
  vim.cmd('normal! 8GyypD')
  vim.wait(200)
  obs.completion = request('textDocument/completion', {
    textDocument = doc,
    position = { line = 8, character = 2 },
    context = { triggerKind = 1 },
  })

  -- Orderly shutdown, so the server's exit is part of the test.
  vim.lsp.stop_client(client_id)
  vim.wait(TIMEOUT, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
  obs.stopped = vim.lsp.get_client_by_id(client_id) == nil
  finish()
end

-- After the init; any Lua error still ends nvim, with the error in the observations.
vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  nested = true, -- so the edit's FileType reaches the init's autocmd
  callback = function()
    local ok, err = xpcall(run, debug.traceback)
    if not ok then fail(err) end
  end,
})
