-- ARGV: at_ms
return run(function()
  return expire_due(tonumber(ARGV[1]), nil)
end)
