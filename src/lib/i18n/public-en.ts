import type { Messages } from './public-de'

/** The pages people see, in English. */
export const en: Messages = {
  otherLanguageName: 'Deutsch',
  languageNav: 'Language',
  members: (n) => `${n} members`,
  signedUpThroughUs: (n) => `${n} signed up here`,
  member: 'member',
  openCommunity: 'Open community: nobody has to approve you.',
  closedCommunity: 'Closed community: an admin decides on your request.',
  groupsHeading: 'Groups',
  announcementGroup: 'Announcements, only admins post',
  announcementGroupName: 'Announcements',
  youJoin: 'This link takes you into this group',
  join: 'Join',
  requestToJoin: 'Request to join',
  privacy:
    'Only admins see your contact details, never other members. You can end your membership at any time: once you are in, you get a link to end it (on your status page, or on the page your e-mail’s link opens), and a button there confirms. You leave the group chat itself separately, in WhatsApp.',
  telegramPrivacy:
    'You join in Telegram: what the other members see of you there is up to your Telegram settings. You can leave the group at any time in Telegram.',
  photoAlt: (name) => `Photo of ${name}`,
  notFoundTitle: 'This link does not exist',
  notFoundText: 'Check that you copied all of it, or ask for a new link.',
  dashboardNotFoundText:
    'What was here does not exist (any more): it may have been deleted, or the link is incomplete.',
  backToDashboard: 'To the dashboard',
  goneTitle: 'This link no longer works',
  goneInviteTo: (name) => `It was an invite to ${name}.`,
  revokedText: 'The admins have withdrawn this invite link. Ask for a new one.',
  referralGoneText:
    'This was a member’s personal invite link. It no longer works because they are no longer a member or the admins withdrew it. Ask for a new one.',
  expiredText: 'This invite link has expired. Ask for a new one.',
  usedUpText: 'This invite link has been used as often as allowed. Ask for a new one.',
  goneLeadOnText: (status: 'expired' | 'used_up') =>
    status === 'expired'
      ? 'This invite link has expired, but the community has another one for you.'
      : 'This invite link has been used as often as allowed, but the community has another one for you.',
  goneLeadOn: 'Open the current invite',
  rotatedText:
    'This invite link has been replaced. Ask whoever shared it with you for the new one.',
  deletedText: 'The community this invite link was for no longer exists here.',
  badRequestTitle: 'That did not work',
  errorTitle: 'Something went wrong',
  errorText: 'Please try again in a moment.',
  tooManyTitle: 'Too many attempts',
  problemFallback: 'That did not work. Reload the page and try again.',
  forbiddenTitle: 'You may not do this',
  forbiddenText: 'Your sign-in does not allow this. Ask an admin of this community or the owner.',
  crossSiteTitle: 'Sent from another website',
  crossSiteText:
    'This form did not come from the dashboard itself, so nothing was changed. Open the dashboard directly and try again there.',
  crossSitePublicText:
    'This button was not pressed on our own page, so nothing was changed. Open the link you were given again and press the button there.',
  joinTitle: (name) => `Join ${name}`,
  nameLabel: 'Your name',
  phoneLabel: 'Mobile number',
  phoneHint: 'With country code, e.g. +49 151 12345678',
  emailLabel: 'E-mail',
  newsByWhatsAppHint: 'The community’s news comes on WhatsApp, to a phone number.',
  contactHint: 'Phone or e-mail, one of them is enough.',
  questionsHeading: 'A few questions from the admins',
  consentLabel: 'I agree that the community may contact me through these details.',
  submitJoin: 'Join now',
  submitRequest: 'Send request',
  formProblems: 'Please check the fields marked below.',
  formExpiredBlank: 'This form was open too long. Please fill it in again and send it.',
  formExpiredAgain:
    'This form was open too long. What you typed is still here: tick the consent box again and send it.',
  fieldProblems: {
    required: 'Please fill this in.',
    tooShort: (min) => `At least ${min} characters.`,
    tooLong: (max) => `At most ${max} characters.`,
    tooFew: (min) => `Choose at least ${min}.`,
    tooMany: (max) => `At most ${max} entries.`,
    number: 'Please enter a whole number.',
    atLeast: (min) => `At least ${min}.`,
    atMost: (max) => `At most ${max}.`,
    url: 'A full address starting with https://.',
    urlCharacters:
      'Letters, digits and the signs of a web address only, without spaces: percent-encode other characters (%20 for a space) and write the host in punycode (xn--...).',
    email: 'Not a valid e-mail address.',
    phone:
      'Not a valid phone number for its country. Write it with the country code, e.g. +49 151 12345678.',
    contactMissing: 'Give a phone number or an e-mail address.',
    nameMissing: 'Please tell us your name.',
    answerMissing: 'Please answer this question.',
    consentMissing: 'Please agree to be contacted, or the community cannot reach you.',
    choice: 'Please choose one of the options.',
    check: 'Please check this field.',
    timeZone: 'This time zone is unknown. Choose one from the list.',
    dateOrRule: 'Give a date and time, or choose a repeat.',
    inThePast: 'This time has passed. Choose one in the future.',
    nameOnly:
      'Write more than {name}: a post to a whole chat, and a member who gave no name, get the text without it.',
    imageCredentials: 'An image link may not hold a user name or password.',
    imageHost: (hosts) => `Images may come from ${hosts} only.`,
  },
  pendingTitle: 'Your request has arrived',
  pendingText: 'An admin will look at it. Keep this page: it shows you the decision.',
  pendingEmailPageText:
    'You confirmed with the link in your e-mail: the page it opens shows you the admins’ decision as soon as there is one, and the way into the chat. This page does not show it: it opens for whoever sent the form, who need not be the owner of the address.',
  pendingProofText:
    'An admin will look at it. Confirm below that this sign-up is yours, and you are shown the decision.',
  pendingAdminText: 'An admin will look at it.',
  pendingFullText:
    'You have confirmed, but the group filled up in the meantime: an admin can let you in once there is room. Keep this page: it shows you the decision.',
  approvedTitle: 'Your place is confirmed',
  openChat: 'Open the group chat',
  noChatYet:
    'The chat link is not set up yet. Come back to this page later: it shows here as soon as the admins add it.',
  rejectedTitle: 'Your request was declined',
  rejectedReason: (reason) => `Reason: ${reason}`,
  endedTitle: 'You are no longer a member',
  endedText: 'We send you no more messages for this community, and you are off its member list.',
  optedOutText: (start) =>
    `You unsubscribed in WhatsApp. To get our messages again, send ${start} from the same number to our WhatsApp number.`,
  resumeButton: (start) => `Send ${start} in WhatsApp`,
  stoppedInWhatsAppText:
    'You stopped marketing messages from us in WhatsApp itself, and only there can you allow them again: in our chat in WhatsApp, tap our name, then turn “Offers and announcements” back on. Your membership then comes back by itself; a message to us cannot do that.',
  openOurChatButton: 'Open our chat in WhatsApp',
  chatStaysText:
    'We cannot take anyone out of the WhatsApp chat itself. If you are still in it, leave it in WhatsApp: open the group, tap its name, then “Exit group”. For the whole community: “Exit community” in the community info.',
  referralHeading: 'Invite your friends',
  referralText: 'Your personal link. Everyone who joins through it counts for you.',
  referralQrAlt: 'QR code of your invite link',
  telegramStartHeading: 'Our messages on Telegram',
  telegramStartText:
    'Start our bot on Telegram and it sends you our announcements in a private chat. Send it /stop at any time.',
  telegramStartLink: 'Start the bot on Telegram',
  shareWhatsApp: 'Share on WhatsApp',
  shareTelegram: 'Share on Telegram',
  copyLink: 'Copy link',
  copied: 'Copied',
  shareMessage: (community) => `Join me in ${community}!`,
  referredSoFar: (n) =>
    n === '1'
      ? '1 person has joined through your link so far.'
      : `${n} people have joined through your link so far.`,
  nextRewardHeading: 'Your next reward',
  nextRewardIn: (n) => (n === '1' ? '1 more person and you get:' : `${n} more people and you get:`),
  nextRewardOnceStayed: (n, days) =>
    `Once ${n === '1' ? '1 person' : `${n} people`} who joined through your link ${n === '1' ? 'has' : 'have'} stayed ${days === '1' ? 'a day' : `${days} days`}, you get:`,
  rewardsHeading: 'Your rewards',
  leaveLink: 'End your membership',
  leaveTitle: 'End your membership?',
  leaveText:
    'After this we send you no more messages for this community, you are off its member list, and your personal invite link stops working for good. To come back, you sign up again like anyone new.',
  leaveButton: 'Yes, end it',
  leftTitle: 'Your membership has ended',
  thanksTitle: 'Thank you!',
  coolingOffText: (date) => `Your last request was declined. You can ask again from ${date}.`,
  askAgainText: (date) => `You can ask again from ${date}.`,
  groupFullText: 'This group is full. Ask the admins for a link to another group.',
  conflictText: 'That did not work just now. Please send the form again.',
  challengeText:
    'A lot of people are joining from your network right now. Please confirm that you are a person and send the form again.',
  confirmTitle: 'Please confirm your sign-up',
  contactsGiven: { phone: 'the number', email: 'the address', both: 'the number or address' },
  confirmText: (contact: string) =>
    `You are in once you confirm that ${contact} is yours. Without confirmation, your sign-up is deleted.`,
  confirmClosedText: (contact: string) =>
    `Your request goes to the admins once you confirm that ${contact} is yours. Without confirmation, your sign-up is deleted.`,
  confirmWhatsAppButton: 'Confirm in WhatsApp',
  confirmWhatsAppText: (code: string) =>
    `Tap the button and send the prepared message with the code ${code}.`,
  confirmWhatsAppOnComputer: 'On a computer: scan the QR code with your phone.',
  confirmPrefill: (community: string, code: string) =>
    `I want to join the community ${community}. Code: ${code}`,
  confirmQrAlt: 'QR code that opens WhatsApp with the confirmation',
  confirmEmailText: (address) => `An e-mail with a confirmation link is on its way to ${address}.`,
  confirmEmailWrongAddress: 'Not your address? Sign up again with the right one.',
  confirmWhatsAppSentText: 'We have sent you a WhatsApp message: tap its button to confirm.',
  confirmNoWhatsAppText: 'Your number cannot be confirmed by WhatsApp here.',
  confirmNoEmailText:
    'No e-mails are sent from here, so your address cannot be confirmed by e-mail.',
  confirmNoWayText: 'Your sign-up cannot be confirmed here, neither by WhatsApp nor by e-mail.',
  confirmInsteadWhatsAppText: 'Please confirm in WhatsApp instead.',
  confirmInsteadEmailText: 'Please confirm with the link in the e-mail instead.',
  confirmAskAdminsText: 'Please ask the community’s admins: they can record your confirmation.',
  confirmUntil: (when: string) => `Valid until ${when}.`,
  confirmOtherText:
    'One of your contacts is not confirmed yet. Messages only go to confirmed contacts: confirm it here if you want them there too.',
  proofForLinksText:
    'Your personal invite link (everyone who joins through it counts for you) and the link to leave are shown here once you confirm that this sign-up is yours.',
  linksAwaitHeading: 'Your invite link',
  linksOnEmailPageText:
    'Your personal invite link and the link to leave are on the page that the link in your e-mail opens.',
  linksOnEmailPageLaterText:
    'Once you are in, the page that the link in your e-mail opens shows the chat, your personal invite link and the link to leave.',
  linksNotHereText:
    'Your personal invite link and the link to leave are shown only to whoever confirms this sign-up from its number’s WhatsApp or with a link e-mailed to its address, and neither is set up here.',
  proofOfferEndedText:
    'This page can no longer confirm it. Sign up again through the invite link with the same number or address: where a new code or e-mail can be sent for it, confirming that shows you your links.',
  confirmLinkTitle: 'Confirm your sign-up?',
  confirmLinkText: 'One click confirms that this address is yours and that you want messages.',
  confirmLinkButton: 'Yes, confirm',
  confirmedTitle: 'Thank you, you have confirmed',
  confirmedInLinksText:
    'Your place is confirmed. Keep the e-mail: its link brings you back to this page, with your personal invite link and the link to leave.',
  confirmedInNoLinksText: 'Your place is confirmed.',
  keepEmailText:
    'Keep the e-mail: its link brings you back to this page, with your personal invite link and the link to leave.',
  confirmedWaitingText:
    'Your request is with the admins now. Keep the e-mail: its link brings you back to this page, which shows their decision.',
  confirmedDeclinedText: 'The admins have declined your request.',
  confirmExpiredText: 'This sign-up has expired. You can sign up again through the invite link.',
  consentMethods: {
    whatsapp_message: 'WhatsApp message',
    whatsapp_button: 'WhatsApp button',
    email_link: 'E-mail link',
    single_opt_in: 'Form (single opt-in)',
    admin: 'Recorded by an admin',
    telegram_join: 'Joined on Telegram (seen by Telegram)',
  },
  leaveReasonLabel: 'Would you tell us why? (optional)',
  leaveReasons: {
    too_many_messages: 'Too many messages',
    not_relevant: 'Not relevant to me',
    joined_by_mistake: 'Joined by mistake',
    other: 'Something else',
  },
}
