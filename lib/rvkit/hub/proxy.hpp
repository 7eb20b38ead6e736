// rvkit hub: the message hub (a placeholder until the proxy lands).
#pragma once
