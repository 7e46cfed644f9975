"""The caller's own working set in one query: ``viewer { person role myAccounts myHandoffs myAlerts myActionItems }``.

"My" is read from the owner fields the hub keeps as names (an account's and a handoff's CSM or sales owner,
an action item's owner): they are matched, exactly, against the caller's *owner names* — a person's display
name and e-mail from their token, or an API key's name.
"""
