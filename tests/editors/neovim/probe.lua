-- Drives gitops-ls from Neovim's built-in LSP client (0.7+: vim.lsp.start_client)
-- and writes what it observed as JSON; tests/editors/check.py judges it.
-- Env: GITOPS_LS_PATH (server), PROBE_FIXTURE (manifest), PROBE_OUT (JSON file).
local server = assert(os.getenv('GITOPS_LS_PATH'), 'GITOPS_LS_PATH is not set')
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

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(fixture))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'yaml' -- started with -u NONE: no filetype detection
  local uri = vim.uri_from_bufnr(buf)

  local client_id = vim.lsp.start_client({
    name = 'gitops-ls',
    cmd = { server },
    root_dir = vim.fn.fnamemodify(fixture, ':p:h'),
    settings = { ['gitops-ls'] = { images = { checkTags = false } } },
    -- Send each edit at once so the test sees one didChange per keystroke batch.
    flags = { debounce_text_changes = 0 },
    on_exit = function(code, signal)
      obs.exit = { code = code, signal = signal }
    end,
    on_init = function(_, result)
      obs.initialize = { serverInfo = result.serverInfo, capabilities = result.capabilities }
    end,
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
        if result and result.uri == uri then table.insert(published, result) end
        return vim.lsp.handlers['textDocument/publishDiagnostics'](err, result, ctx, config)
      end,
    },
  })
  if not client_id then return fail('vim.lsp.start_client returned nil') end
  vim.lsp.buf_attach_client(buf, client_id)
  local client = vim.lsp.get_client_by_id(client_id)

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

-- Any Lua error still ends nvim, with the error in the observations.
local ok, err = xpcall(run, debug.traceback)
if not ok then fail(err) end
