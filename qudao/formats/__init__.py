"""Date and time formats per language (settings.FORMAT_MODULE_PATH): one way to write a date in
each language, used wherever a page prints a date or time without an explicit format. Pages print
local times (settings.TIME_ZONE; templates convert), never ISO timestamps. Tables use the short
forms ("Y-m-d", "Y-m-d H:i"), which are the same in every language."""
