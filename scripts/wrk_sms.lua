-- wrk script for `textclf serve` and its anchor: POST /v1/classify with one SMS text per
-- request, cycling through the bodies in the file named by $WRK_BODIES (one JSON body per line,
-- scripts/serve_bodies.py writes it); each wrk thread starts at its own place.
local threads = 0

setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local bodies = {}
local index = 0

init = function(args)
  for line in io.lines(os.getenv("WRK_BODIES")) do bodies[#bodies + 1] = line end
  index = (id * 1009) % #bodies
end

request = function()
  index = index % #bodies + 1
  return wrk.format("POST", "/v1/classify", {["Content-Type"] = "application/json"}, bodies[index])
end
