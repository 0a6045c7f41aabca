import { raw } from 'hono/html'

/**
 * The first line of every HTML page: without it browsers render in quirks mode. JSX cannot
 * write it, so each page's root puts this before its `<html>`.
 */
export const DOCTYPE = raw('<!DOCTYPE html>')
